/** Extra columns that are cheap copies or incremental transforms of a stored series, cached per series (raw copies, zero bounds, TensorBoard smoothing, epoch labels). */

import type { RunState } from '../store/scalar-store.js'
import { resizeColumn, growthFactor } from '../columns.js'
import { POINT_RAW } from '../enrich/desmooth.js'
import { TbSmoother } from '../enrich/smooth.js'
import type { TagState } from './series-state.js'

export class ColumnCache {
  private sharedZeros = new Float64Array(0)
  private sharedRawKinds = new Uint8Array(0)

  rawCopy (st: TagState, values: ArrayLike<number>, n: number): Float64Array {
    let a = st.rawCopy
    const have = st.rawCopyLength
    if (a === null || a.length < n) {
      // Grown like the store's columns (in place once large: no copy on the first append after a load).
      const old = a ?? new Float64Array(0)
      a = st.rawCopy = resizeColumn(old, have, Math.max(n, Math.ceil(old.length * growthFactor(old)), 64), Float64Array)
    }
    // The store's columns are typed arrays: one block copy (float32 widens exactly to float64).
    if (values instanceof Float32Array || values instanceof Float64Array) a.set(values.subarray(have, n), have)
    else for (let i = have; i < n; i++) a[i] = values[i]!
    st.rawCopyLength = n
    return a.subarray(0, n)
  }

  /** A bound of 0 for every point: one shared array for all series (callers only read columns). */
  zeros (_st: TagState, n: number): Float64Array {
    if (this.sharedZeros.length < n) this.sharedZeros = new Float64Array(Math.max(n, Math.ceil(this.sharedZeros.length * 1.5), 64))
    return this.sharedZeros.subarray(0, n)
  }

  /** POINT_RAW for every point, shared like {@link zeros}. */
  rawKinds (_st: TagState, n: number): Uint8Array {
    if (this.sharedRawKinds.length < n) this.sharedRawKinds = new Uint8Array(Math.max(n, Math.ceil(this.sharedRawKinds.length * 1.5), 64)).fill(POINT_RAW)
    return this.sharedRawKinds.subarray(0, n)
  }

  smoothed (st: TagState, values: ArrayLike<number>, n: number, weight: number): Float64Array {
    const w = Number.isFinite(weight) ? Math.min(1, Math.max(0, weight)) : 0
    let e = st.smoothers.get(w)
    if (e === undefined || e.sm.length > n) {
      if (st.smoothers.size >= 4) st.smoothers.delete(st.smoothers.keys().next().value!)
      e = { sm: new TbSmoother(w), out: resizeColumn(new Float64Array(0), 0, Math.max(n, 64), Float64Array) }
      st.smoothers.set(w, e)
    }
    // Grown like the store's columns (in place once large: no copy on the first append after a load).
    if (e.out.length < n) e.out = resizeColumn(e.out, e.sm.length, Math.max(n, Math.ceil(e.out.length * growthFactor(e.out))), Float64Array)
    const view = e.out.subarray(0, n)
    e.sm.extend(values.length === n ? values : (values as Float64Array).subarray(0, n), view, e.sm.length)
    e.sm.finish(values, view)
    return view
  }

  /**
   * Epoch of each point from a Lightning `epoch` or HF `train/epoch` series of the run (the last
   * of its points at or before the point's step, floored); -1 without one. Grown incrementally
   * (both series only grow; steps are taken as increasing, which holds within one fit).
   */
  epochFromRun (st: TagState, r: RunState, steps: ArrayLike<number>, n: number): Int32Array {
    const et = ['epoch', 'train/epoch'].map(x => r.tags.get(x)).find(t => t !== undefined && t.series !== null && t !== st.info) ?? null
    let c = st.epochCol
    if (c === null || c.source !== et) {
      c = st.epochCol = { source: et, n: 0, j: 0, out: new Int32Array(Math.max(n, 64)).fill(-1) }
    }
    if (c.out.length < n) {
      const b = new Int32Array(Math.max(n, Math.ceil(c.out.length * 1.5))).fill(-1)
      b.set(c.out.subarray(0, c.n))
      c.out = b
    }
    if (et !== null) {
      // Points already done keep their epoch: the epoch series is written with (or before) them.
      const s = et.series!
      const ec = s.columns()
      let j = c.j
      for (let i = c.n; i < n; i++) {
        const step = steps[i]!
        while (j + 1 < s.length && ec.steps[j + 1]! <= step) j++
        c.out[i] = j < s.length && ec.steps[j]! <= step && Number.isFinite(ec.values[j]!) ? Math.floor(ec.values[j]!) : -1
      }
      c.j = j
    }
    c.n = n
    return c.out.subarray(0, n)
  }
}
