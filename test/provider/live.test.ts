/** LiveFeed: store changes become numbered events, coalesced per turn, resumable from the ring. */

import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ScalarStore } from '../../server/store/scalar-store.js'
import { LiveFeed, type LiveEnvelope } from '../../server/provider/live.js'
import type { EnrichmentProvider } from '../../server/provider/enrichment.js'

/** Appends scalar points to run/tag as the loader does (one event each), without announcing them. */
function put (store: ScalarStore, run: string, tag: string, steps: number[]): void {
  const r = store.getOrCreateRun(run)
  const t = r.tag(tag)
  r.metadata(t, 'scalars', '', '', 1)
  for (const s of steps) {
    r.beginEvent(1700000000 + s, s)
    r.scalar(t, s / 10, 'float32')
    r.endEvent(true)
  }
}

/**
 * A provider that infers nothing and has no annotation hook: the feed's events then depend on
 * store changes only (annotation pass-through is covered in test/http/enrichment-wiring.test.ts).
 */
function noEnrichment (): EnrichmentProvider {
  return {
    columns: () => ({ family: 'unknown', notes: [] }),
    annotations: () => [],
    tagSummary: () => ({ family: 'unknown', annotations: { info: 0, warning: 0, critical: 0 } })
  } as unknown as EnrichmentProvider
}

const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

function collect (feed: LiveFeed): LiveEnvelope[] {
  const got: LiveEnvelope[] = []
  feed.subscribe(e => got.push(e))
  return got
}

describe('LiveFeed', () => {
  it('announces a run, its new tag, then one coalesced points event per tag per turn', async () => {
    const store = new ScalarStore()
    const feed = new LiveFeed(store, noEnrichment(), { bootId: 'b' })
    const got = collect(feed)
    put(store, 'train', 'loss', [1, 2])
    store.notifyPoints('train', ['loss'])
    put(store, 'train', 'loss', [3])
    store.notifyPoints('train', ['loss'])
    await turn()
    assert.deepEqual(got.map(e => e.event.type), ['run-added', 'tag-added', 'points'])
    assert.deepEqual(got.map(e => e.seq), [1, 2, 3])
    assert.deepEqual(got[2]!.event, {
      type: 'points', run: 'train', tag: 'loss', firstStep: 1, lastStep: 3, minStep: 1, maxStep: 3, fromIndex: 0, count: 3, totalPoints: 3, lastWallTime: 1700000003, restart: false
    })
    feed.close()
  })

  it('knows the points already stored when it starts, and flags a step going back', async () => {
    const store = new ScalarStore()
    put(store, 'train', 'loss', [0, 1, 2, 3])
    const feed = new LiveFeed(store, noEnrichment(), { bootId: 'b' })
    const got = collect(feed)
    put(store, 'train', 'loss', [2, 3])
    store.notifyPoints('train', ['loss'])
    await turn()
    assert.equal(got.length, 1)
    assert.deepEqual({ ...got[0]!.event }, {
      type: 'points', run: 'train', tag: 'loss', firstStep: 2, lastStep: 3, minStep: 2, maxStep: 3, fromIndex: 4, count: 2, totalPoints: 6, lastWallTime: 1700000003, restart: true
    })
    feed.close()
  })

  it('announces a removed run and forgets its tags', async () => {
    const store = new ScalarStore()
    put(store, 'a', 'loss', [0])
    const feed = new LiveFeed(store, noEnrichment(), { bootId: 'b' })
    const got = collect(feed)
    store.removeRun('a')
    await turn()
    put(store, 'a', 'loss', [5])
    store.notifyPoints('a', ['loss'])
    await turn()
    assert.deepEqual(got.map(e => e.event.type), ['run-removed', 'run-added', 'tag-added', 'points'])
    feed.close()
  })

  it('replays events after a known id, and reports a gap for foreign, future or evicted ids', async () => {
    const store = new ScalarStore()
    const feed = new LiveFeed(store, noEnrichment(), { bootId: 'b', bufferSize: 4 })
    for (let i = 0; i < 3; i++) { put(store, 'r' + i, 'x', [i]); store.notifyPoints('r' + i, ['x']); await turn() }
    // 9 events so far (run-added, tag-added, points per run); the ring keeps at least the last 4.
    assert.equal(feed.lastEventId(), 'b-9')
    const r = feed.resume('b-7')
    assert.equal(r.kind, 'replay')
    assert.deepEqual(r.kind === 'replay' && r.events.map(e => e.seq), [8, 9])
    assert.deepEqual(feed.resume('b-9'), { kind: 'replay', events: [] })
    assert.equal(feed.resume('x-3').kind, 'gap')
    assert.equal(feed.resume('b-10').kind, 'gap')
    assert.equal(feed.resume('b-1').kind, 'gap')
    assert.equal(feed.resume('garbage').kind, 'gap')
    feed.close()
  })
})
