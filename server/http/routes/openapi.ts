/** /api/v1/openapi.json (the OpenAPI 3 document of every route) and /api/v1/docs (the same, as a readable page). */

import type { FastifyInstance } from 'fastify'

interface OpenApiParam { name: string, in: string, required?: boolean, description?: string, schema?: Record<string, unknown> }
interface OpenApiOp { summary?: string, description?: string, tags?: string[], parameters?: OpenApiParam[], responses?: Record<string, { description?: string, content?: Record<string, unknown> }> }
interface OpenApiDoc { info: { title: string, description?: string }, paths: Record<string, Record<string, OpenApiOp>> }

/** Registers GET /openapi.json and GET /docs; both reflect every route registered at the time of the request. */
export async function openapiRoutes (app: FastifyInstance): Promise<void> {
  app.get('/openapi.json', {
    schema: {
      summary: 'OpenAPI document',
      description: 'OpenAPI 3.1 description of every route of this server (native /api/v1, TensorBoard-compatible /data, health).',
      tags: ['ops'],
      response: { 200: { description: 'OpenAPI 3.1 document', type: 'object', additionalProperties: true } }
    }
  }, async (_req, reply) => {
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger()))
  })

  app.get('/docs', {
    schema: {
      summary: 'API reference page',
      description: 'HTML rendering of the OpenAPI document: every route, parameter and response.',
      tags: ['ops'],
      response: { 200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } }
    }
  }, async (_req, reply) => {
    return reply.type('text/html; charset=utf-8').send(renderDocs(app.swagger() as unknown as OpenApiDoc))
  })
}

/** A self-contained HTML page listing every operation of `doc` (no scripts, no external assets). */
export function renderDocs (doc: OpenApiDoc): string {
  const ops: string[] = []
  const toc: string[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-')
      toc.push(`<li><a href="#${id}"><code>${esc(method.toUpperCase())} ${esc(path)}</code></a> ${esc(op.summary ?? '')}</li>`)
      const params = (op.parameters ?? []).map(p => {
        const s = p.schema ?? {}
        const type = s.type === 'array' ? `${(s.items as { type?: string } | undefined)?.type ?? ''}[] (repeatable)` : String(s.type ?? '')
        const extra = [
          Array.isArray(s.enum) ? `one of ${(s.enum as unknown[]).map(v => `<code>${esc(String(v))}</code>`).join(', ')}` : '',
          s.default !== undefined ? `default <code>${esc(JSON.stringify(s.default))}</code>` : '',
          s.minimum !== undefined ? `≥ ${esc(String(s.minimum))}` : '',
          s.exclusiveMaximum !== undefined ? `&lt; ${esc(String(s.exclusiveMaximum))}` : ''
        ].filter(x => x !== '').join('; ')
        return `<tr><td><code>${esc(p.name)}</code>${p.required === true ? ' *' : ''}</td><td>${esc(p.in)}</td><td>${esc(type)}</td><td>${esc(p.description ?? '')}${extra ? `<br><small>${extra}</small>` : ''}</td></tr>`
      }).join('')
      const responses = Object.entries(op.responses ?? {}).map(([code, r]) =>
        `<li><b>${esc(code)}</b> ${esc(r.description ?? '')}${r.content ? ` — <small>${Object.keys(r.content).map(esc).join(', ')}</small>` : ''}</li>`).join('')
      ops.push(`<section id="${id}"><h3><code>${esc(method.toUpperCase())} ${esc(path)}</code></h3>` +
        `<p><b>${esc(op.summary ?? '')}</b>${op.tags?.length ? ` <small>[${op.tags.map(esc).join(', ')}]</small>` : ''}</p>` +
        (op.description ? `<p>${esc(op.description)}</p>` : '') +
        (params ? `<table><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr>${params}</table>` : '') +
        (responses ? `<ul>${responses}</ul>` : '') + '</section>')
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
code{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
section{border-top:2px solid #eee;padding-top:.5em;margin-top:1.5em}small{color:#666}</style></head><body>
<h1>${esc(doc.info.title)}</h1><p>${esc(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a>. Non-finite numbers, formats, ETags and errors are described in the project's docs/api.md.</p>
<ul>${toc.join('')}</ul>${ops.join('')}</body></html>`
}

function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
