/**
 * Files found from the server's own place: server/ when the sources run under tsx, dist/server/
 * when built. Every path that depends on where the code runs is resolved here, because in the
 * build most modules are bundled into dist/server/main.js, where each one's import.meta.url is the
 * bundle's: only a module at the top of server/ has the same URL bundled or not.
 */

import { fileURLToPath } from 'node:url'

/** True under tsx (TypeScript sources), false when built. */
export const RUNNING_SOURCES = import.meta.url.endsWith('.ts')

/** The package's root directory (holding proto/, demo-logs/ and dist/). */
export const PACKAGE_ROOT = fileURLToPath(new URL(RUNNING_SOURCES ? '../' : '../../', import.meta.url))

/** A server module by its path under server/ without extension (e.g. 'logdir/load-worker'): the .ts source under tsx, the compiled .js when built. */
export function serverModuleUrl (pathNoExt: string): URL {
  return new URL(`./${pathNoExt}${RUNNING_SOURCES ? '.ts' : '.js'}`, import.meta.url)
}
