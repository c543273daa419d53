/** The dashboard: serves dist/web (built by `npm run build:web`) at the base path, beside /data and /api. */

import type { FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { PACKAGE_ROOT } from '../../locations.js'

export interface StaticOptions {
  /** Directory holding index.html, main.js and style.css (default: <repo>/dist/web). */
  webRoot?: string
  /** The app's --base-path ('' or '/something'); only used to redirect '/something' to '/something/'. */
  basePath?: string
}

/** <repo>/dist/web. */
export function defaultWebRoot (): string {
  return path.join(PACKAGE_ROOT, 'dist', 'web')
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>lossboard</title>
<body style="font-family:system-ui,sans-serif;max-width:40em;margin:10vh auto;line-height:1.5">
<h1>lossboard</h1><p>The dashboard has not been built. Run <code>npm run build:web</code> and reload.</p>
<p>The API is up: <a href="api/v1/runs">api/v1/runs</a> · <a href="healthz">healthz</a>.</p></body>`

/**
 * Registers the static files under the scope's prefix (the base path), so `/` (or `<base>/`)
 * answers index.html while the exact /data and /api routes keep priority over the wildcard.
 * index.html uses only relative URLs, so `<base>` must be reached with its trailing slash:
 * `<base>` alone redirects to it with a relative Location, which survives further proxy prefixes.
 * A missing build is not fatal: `/` then explains how to build it.
 */
export async function staticRoutes (app: FastifyInstance, opts: StaticOptions): Promise<void> {
  const root = opts.webRoot ?? defaultWebRoot()
  if (opts.basePath) {
    const last = opts.basePath.split('/').filter(Boolean).pop() ?? ''
    app.get('/', { prefixTrailingSlash: 'no-slash' }, async (req, reply) => {
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''
      return await reply.redirect(`${last}/${query}`, 301)
    })
  }
  if (!existsSync(path.join(root, 'index.html'))) {
    app.get('/', { prefixTrailingSlash: 'slash' }, async (_req, reply) => await reply.type('text/html; charset=utf-8').send(NOT_BUILT))
    return
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    decorateReply: false,
    // Revalidate every time (ETag/Last-Modified): file names are not content-hashed.
    maxAge: 0,
    setHeaders: (res, file) => {
      if (file.endsWith('.html')) res.setHeader('cache-control', 'no-cache')
    }
  })
}
