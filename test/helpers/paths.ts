/** Where the shared corpus lives at test time (next to the repo, as on CI) and temp-dir helpers. */

import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'

/** Repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url))
/** ../shared beside the repository (CI lays it there too). */
export const SHARED = path.resolve(REPO, '..', 'shared')
export const CORPUS = path.join(SHARED, 'corpus')
export const GENERATED = path.join(CORPUS, 'generated')
export const PUBLIC = path.join(CORPUS, 'public')
export const GOLDEN = path.join(CORPUS, 'golden')
export const GROUND_TRUTH = path.join(CORPUS, 'ground_truth')

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir (prefix = 'lossboard-test-'): { dir: string, cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
