/**
 * De-smoothing on runs written by the genuine Keras 3 TensorBoard callback (../shared/corpus/frameworks/keras,
 * truth in truth/keras__*.json): every point claimed exact within its bound, epoch labels exact, no impossible value.
 */

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { CORPUS } from '../helpers/paths.js'
import { loadLogdir } from '../helpers/load.js'
import { scoreDesmoothed, type PointTruth } from '../helpers/desmooth-check.js'
import { createEnrichmentProvider } from '../../server/provider/enrichment.js'

const FRAMEWORKS = path.join(CORPUS, 'frameworks')

interface Truth {
  steps: { fit_call: number[], epoch: number[], batch_size: number[], raw_loss: number[], keras_logs_accuracy?: number[], batch_in_epoch: number[] }
  logged: Array<{ tb_run: string, tag: string, truth_index: Array<number | null> }>
}

/** Per logged point of `tag`: the batch-size-weighted mean of the raw values since the previous logged point of its epoch. */
function pointTruth (t: Truth, tag: string, indices: number[]): PointTruth[] {
  const s = t.steps
  const out: PointTruth[] = []
  let prev = -1
  // Correct-prediction counts are integers: recover them from the float32 running accuracy exactly.
  const seen = (i: number): number => { let n = 0; for (let j = i; j >= 0 && s.fit_call[j] === s.fit_call[i] && s.epoch[j] === s.epoch[i]; j--) n += s.batch_size[j]!; return n }
  for (const idx of indices) {
    if (prev >= 0 && (s.fit_call[prev] !== s.fit_call[idx] || s.epoch[prev] !== s.epoch[idx])) prev = -1
    let raw: number
    if (tag === 'batch_loss') {
      let sum = 0; let n = 0
      for (let j = prev + 1; j <= idx; j++) {
        if (prev < 0 && (s.fit_call[j] !== s.fit_call[idx] || s.epoch[j] !== s.epoch[idx])) continue
        sum += s.raw_loss[j]! * s.batch_size[j]!; n += s.batch_size[j]!
      }
      raw = sum / n
    } else {
      const acc = s.keras_logs_accuracy!
      const Nb = seen(idx); const Na = prev >= 0 ? seen(prev) : 0
      const cb = Math.round(acc[idx]! * Nb); const ca = prev >= 0 ? Math.round(acc[prev]! * Na) : 0
      raw = (cb - ca) / (Nb - Na)
    }
    out.push({ raw, epoch: s.epoch[idx]! })
    prev = idx
  }
  return out
}

test('Keras 3 framework runs: exact points within bound, epochs exact, no impossible values', async () => {
  const names = readdirSync(path.join(FRAMEWORKS, 'keras')).sort()
  assert.ok(names.length >= 7)
  const { store } = await loadLogdir(path.join(FRAMEWORKS, 'keras'))
  const p = createEnrichmentProvider(store)
  let checked = 0
  for (const name of names) {
    const truth = JSON.parse(readFileSync(path.join(FRAMEWORKS, 'truth', `keras__${name}.json`), 'utf8')) as Truth
    for (const tag of ['batch_loss', 'batch_accuracy']) {
      const logged = truth.logged.filter(l => l.tb_run === `${name}/train` && l.tag === tag)
      if (logged.length === 0) continue
      if (tag === 'batch_accuracy' && truth.steps.keras_logs_accuracy === undefined) continue
      const indices = logged.flatMap(l => l.truth_index as number[])
      const cols = p.columns(`${name}/train`, tag, { desmoothed: true, smoothed: false, smoothing: 0, desmooth: 'auto' })
      assert.equal(cols.family, 'keras-running-mean', `${name} ${tag}`)
      const domain: [number, number] = tag === 'batch_loss' ? [0, Infinity] : [0, 1]
      const sc = scoreDesmoothed(cols, pointTruth(truth, tag, indices), domain)
      console.log(`  ${name} ${tag}: ${sc.points} points, ${sc.exact} exact, max |err|/bound ${sc.maxErrorOverBound.toFixed(3)}, max rel err ${sc.maxRelError.toExponential(2)}, wrong epochs ${sc.wrongEpoch}, impossible ${sc.impossible}`)
      const label = `${name} ${tag}: ${sc.problems.join('; ')}`
      assert.equal(sc.outOfBound, 0, label)
      assert.equal(sc.wrongEpoch, 0, label)
      assert.equal(sc.impossible, 0, label)
      checked++
    }
  }
  assert.ok(checked >= 7)
})
