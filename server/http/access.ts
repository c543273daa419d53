/** Access control at the root of the app: the Host allow-list (DNS rebinding) and the token, as a bearer header or a login cookie. */

import { createHmac, timingSafeEqual, createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export interface AccessOptions {
  /** Shared secret; '' or undefined leaves every route open. */
  token?: string
  /** Host names (no port) accepted besides loopback ones; empty or undefined accepts any Host. A leading '.' accepts subdomains. */
  allowedHosts?: string[]
  /** URL prefix ('' or '/something'): the login page and the cookie path live under it. */
  basePath?: string
  /** The server speaks TLS: the cookie gets `Secure`. */
  secure?: boolean
}

/** Name of the session cookie the login page sets. */
export const SESSION_COOKIE = 'lossboard_session'

/** Routes that answer without the token: liveness/readiness probes and the login page itself. */
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/login'])

/** True for names that always reach this machine only: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost (host: string): boolean {
  const h = host.toLowerCase()
  return h === 'localhost' || h.endsWith('.localhost') || /^127(?:\.\d{1,3}){3}$/.test(h) || h === '::1' || h === '[::1]'
}

/** The host name of a Host header, without port and brackets; '' when absent. */
export function hostName (header: string | undefined): string {
  if (header === undefined) return ''
  const h = header.trim().toLowerCase()
  if (h.startsWith('[')) { const end = h.indexOf(']'); return end < 0 ? h : h.slice(1, end) }
  const colon = h.indexOf(':')
  return colon < 0 ? h : h.slice(0, colon)
}

/** Whether a Host header passes `--allowed-hosts` (loopback names always do). */
export function hostAllowed (header: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true
  const name = hostName(header)
  if (name === '') return false
  if (isLoopbackHost(name)) return true
  return allowed.some(a => a === '*' || a === name || (a.startsWith('.') && (name.endsWith(a) || name === a.slice(1))))
}

/** Constant-time equality of two strings of any lengths (both are hashed first, so lengths leak nothing). */
export function safeEqual (a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

/** The cookie value for a token: an HMAC, so the cookie never holds the token itself. */
export function sessionValue (token: string): string {
  return createHmac('sha256', token).update('lossboard-session-v1').digest('base64url')
}

function cookieValue (header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** True when the request carries the token (bearer header) or the session cookie. */
export function authorized (req: FastifyRequest, token: string, session: string): boolean {
  const auth = req.headers.authorization
  if (auth !== undefined && auth.slice(0, 7).toLowerCase() === 'bearer ') return safeEqual(auth.slice(7).trim(), token)
  const c = cookieValue(req.headers.cookie, SESSION_COOKIE)
  return c !== undefined && safeEqual(c, session)
}

function loginPage (message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>lossboard — sign in</title></head>
<body style="font-family:system-ui,sans-serif;max-width:24em;margin:15vh auto;line-height:1.5">
<h1>lossboard</h1>${message === '' ? '' : `<p role="alert" style="color:#b91c1c">${message}</p>`}
<form method="post" action="login"><label>Access token<br>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required style="width:100%"></label>
<p><button type="submit">Sign in</button></p></form>
<p><small>The token was given to whoever started the server (<code>--auth-token</code> or <code>LOSSBOARD_TOKEN</code>).</small></p></body></html>`
}

/** Path of a request relative to the base path (no query). */
function localPath (url: string, base: string): string {
  const p = url.split('?')[0]!
  return base !== '' && p.startsWith(base) ? (p.slice(base.length) || '/') : p
}

/**
 * Installs the Host check and, with a token, authentication for every route except
 * {@link OPEN_PATHS}. API clients send `Authorization: Bearer TOKEN`; browsers get a login page
 * that sets an HttpOnly, SameSite=Strict cookie holding an HMAC of the token (never the token),
 * so neither the token nor the cookie appears in a URL. A refused browser navigation is redirected
 * to the login page; everything else gets a 401 JSON error.
 */
export async function registerAccess (app: FastifyInstance, opts: AccessOptions): Promise<void> {
  const allowed = (opts.allowedHosts ?? []).map(h => h.trim().toLowerCase()).filter(h => h !== '')
  const base = opts.basePath ?? ''
  const token = opts.token ?? ''
  const session = token === '' ? '' : sessionValue(token)
  app.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req.headers.host, allowed)) {
      return await reply.code(403).type('application/json; charset=utf-8')
        .send(JSON.stringify({ error: { code: 'LB_ERR_HOST_NOT_ALLOWED', message: `Host '${hostName(req.headers.host)}' is not allowed; start lossboard with --allowed-hosts to accept it` } }))
    }
    if (token === '') return
    const p = localPath(req.url, base)
    if (OPEN_PATHS.has(p) || authorized(req, token, session)) return
    return await refuse(req, reply, base)
  })
  if (token === '') return
  const loginUrl = `${base}/login`
  app.get(loginUrl, { schema: { summary: 'Login page', description: 'Form asking for the access token (only with --auth-token).', tags: ['ops'] } }, async (_req, reply) => await reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(loginPage('')))
  app.post(loginUrl, { schema: { summary: 'Sign in', description: 'Form post of token=…; sets the HttpOnly session cookie and redirects to the dashboard (only with --auth-token).', tags: ['ops'] } }, async (req, reply) => {
    const body = req.body as Record<string, string | string[]> | undefined
    const given = body?.token
    if (typeof given !== 'string' || !safeEqual(given, token)) {
      req.log.warn({ ip: req.ip }, 'login refused: wrong token')
      return await reply.code(401).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(loginPage('Wrong token.'))
    }
    const cookie = [`${SESSION_COOKIE}=${session}`, `Path=${base === '' ? '/' : base + '/'}`, 'HttpOnly', 'SameSite=Strict']
    if (opts.secure === true) cookie.push('Secure')
    // 303: the browser follows with a GET, so a reload does not post the form again.
    return await reply.code(303).header('set-cookie', cookie.join('; ')).header('location', './').header('cache-control', 'no-store').send()
  })
}

async function refuse (req: FastifyRequest, reply: FastifyReply, base: string): Promise<FastifyReply> {
  const wantsHtml = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')
  if (wantsHtml) {
    const depth = localPath(req.url, base).split('/').length - 2
    return await reply.code(303).header('location', (depth > 0 ? '../'.repeat(depth) : './') + 'login').send()
  }
  return await reply.code(401).header('www-authenticate', 'Bearer realm="lossboard"').type('application/json; charset=utf-8')
    .send(JSON.stringify({ error: { code: 'LB_ERR_UNAUTHORIZED', message: 'authentication required: send Authorization: Bearer <token>, or sign in at /login' } }))
}
