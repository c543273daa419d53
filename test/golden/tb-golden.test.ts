/** Every golden answer of the real TensorBoard server (../shared/corpus/golden) is reproduced byte for byte. */

import path from 'node:path'
import { CORPUS } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { goldenSuite } from '../helpers/golden.js'

for (const corpus of ['generated', 'public'] as const) {
  goldenSuite(corpus, '', async () => {
    const { store, loader } = await loadLogdir(path.join(CORPUS, corpus))
    return { store, totals: () => loader.totals() }
  })
}
