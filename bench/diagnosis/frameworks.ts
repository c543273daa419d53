/** Scores the framework corpus (../shared/corpus/frameworks: genuine framework writers + truth) through the provider. */

import path from 'node:path'
import pino from 'pino'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LogdirLoader } from '../../server/logdir/logdir-loader.js'
import { createEnrichmentProvider, type EnrichmentProvider } from '../../server/provider/enrichment.js'
import { readTruthDir, type Truth } from './truth.js'
import { scoreTruth, impossibleValues, type TruthScore } from './score.js'

/** Framework label of a corpus family folder, as the benchmark table names it. */
export const FAMILY_LABEL: Record<string, string> = {
  keras: 'Keras 3',
  torch: 'PyTorch SummaryWriter',
  lightning: 'Lightning',
  hf: 'HF Trainer',
  tbx: 'tensorboardX'
}

export interface FamilyLoad { family: string, store: ScalarStore, provider: EnrichmentProvider }

/** Loads one logdir into a fresh store (no watcher) and puts a provider over it. */
export async function loadStore (dir: string): Promise<{ store: ScalarStore, provider: EnrichmentProvider }> {
  const store = new ScalarStore()
  const loader = new LogdirLoader(dir, store, pino({ level: 'silent' }), {})
  await loader.reload()
  return { store, provider: createEnrichmentProvider(store) }
}

export interface FrameworkCorpusScore {
  family: string
  label: string
  scores: TruthScore[]
  impossible: { points: number, impossible: number, where: string[] }
}

/** Every family folder of the corpus, each as its own logdir (run names = tb_run), scored against its truth files. */
export async function scoreFrameworkCorpus (dir: string): Promise<FrameworkCorpusScore[]> {
  const truths = readTruthDir(dir)
  const families = [...new Set(truths.map(t => t.family))].sort()
  const out: FrameworkCorpusScore[] = []
  for (const family of families) {
    const { store, provider } = await loadStore(path.join(dir, family))
    const scores = truths.filter((t: Truth) => t.family === family).map(t => scoreTruth(provider, store, t))
    out.push({ family, label: FAMILY_LABEL[family] ?? family, scores, impossible: impossibleValues(provider, store) })
  }
  return out
}
