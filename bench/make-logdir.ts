/** Seeded generator of the benchmark logdirs, written with the project's own event writer (server/records/event-writer.ts). */

import { mkdirSync, openSync, writeSync, closeSync, existsSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { EventFileBuilder, eventFileName, type ScalarEncoding } from '../server/records/event-writer.js'
import { rng } from '../test/helpers/rng.js'

/*
 * Every figure in BENCHMARKS.md comes from inputs this file writes, so they are reproducible: the
 * same seed gives the same bytes. Big logdirs are generated at bench time under bench/.data/
 * (gitignored) and reused while their parameters are unchanged (a `.params.json` stamp next to
 * them); nothing generated here is committed.
 */

/** Where generated logdirs live (gitignored). */
export const DATA_DIR = fileURLToPath(new URL('./.data/', import.meta.url))

/** Nine-character tag names: with a 6-digit step and simple_value this gives 49-byte records, like TB's writer. */
export function tagNames (n: number): string[] {
  return Array.from({ length: n }, (_, i) => `metric_${String(i).padStart(2, '0')}`)
}

/** Writes a builder's bytes in bounded batches so multi-million-record files never sit in memory whole. */
class StreamingFile {
  private b = new EventFileBuilder()
  private readonly fd: number
  bytes = 0
  constructor (readonly file: string) { this.fd = openSync(file, 'w') }
  get builder (): EventFileBuilder { return this.b }
  flushIfBig (limit = 4 << 20): void { if (this.b.length >= limit) this.flush() }
  flush (): void {
    if (this.b.length === 0) return
    const bytes = this.b.bytes()
    writeSync(this.fd, bytes)
    this.bytes += bytes.length
    this.b = new EventFileBuilder()
  }

  close (): number { this.flush(); closeSync(this.fd); return this.bytes }
}

export interface ScalarFileSpec {
  /** Steps per tag; events = steps × tags. */
  steps: number
  tags: number
  encoding: ScalarEncoding
  seed: number
  /** Wall time of step 0 (seconds). */
  wallTime0?: number
}

/**
 * One event file: file_version, then for each step one Event per tag (what TB's writers produce for
 * `add_scalar` in a loop). Values follow a noisy decaying loss curve; wall times advance 10 ms per step.
 * Returns the file's size in bytes.
 */
export function writeScalarFile (file: string, spec: ScalarFileSpec): number {
  const rand = rng(spec.seed)
  const tags = tagNames(spec.tags)
  const w0 = spec.wallTime0 ?? 1_700_000_000
  const out = new StreamingFile(file)
  out.builder.fileVersion(w0)
  const level = tags.map((_, i) => 1 + i)
  for (let step = 0; step < spec.steps; step++) {
    const wall = w0 + step * 0.01
    for (let t = 0; t < tags.length; t++) {
      level[t]! *= 0.99999
      out.builder.scalar(tags[t]!, step, wall, level[t]! * (1 + 0.1 * (rand() - 0.5)), spec.encoding)
    }
    out.flushIfBig()
  }
  return out.close()
}

export interface MixedSpec {
  steps: number
  scalarTags: number
  /** Bytes of the encoded image in each image event. */
  imageBytes: number
  /** Buckets of each legacy histogram (HistogramProto). */
  histogramBuckets: number
  /** One image and one histogram every this many steps. */
  everySteps: number
  seed: number
}

/**
 * A run mixing scalars with large non-scalar payloads: legacy histograms (HistogramProto), TF2
 * tensor histograms (`tensor<double>[k,3]`, plugin "histograms") and images. Returns bytes and counts.
 */
export function writeMixedFile (file: string, spec: MixedSpec): { bytes: number, scalarEvents: number, nonScalarEvents: number, nonScalarBytes: number } {
  const rand = rng(spec.seed)
  const tags = tagNames(spec.scalarTags)
  const w0 = 1_700_000_000
  const out = new StreamingFile(file)
  out.builder.fileVersion(w0)
  let scalarEvents = 0; let nonScalarEvents = 0; let nonScalarBytes = 0
  const image = new Uint8Array(spec.imageBytes)
  for (let i = 0; i < image.length; i++) image[i] = Math.floor(rand() * 256)
  const limits = Array.from({ length: spec.histogramBuckets }, (_, i) => -5 + (10 * i) / spec.histogramBuckets)
  for (let step = 0; step < spec.steps; step++) {
    const wall = w0 + step * 0.01
    for (const tag of tags) { out.builder.scalar(tag, step, wall, rand(), 'simple_value'); scalarEvents++ }
    if (step % spec.everySteps === 0) {
      const counts = limits.map(() => Math.floor(rand() * 100))
      const before = out.builder.length
      out.builder.event({ wallTime: wall, step, summary: { value: [{ tag: 'weights/histo', histo: { min: -5, max: 5, num: 1000, sum: 1, sumSquares: 2, bucketLimit: limits, bucket: counts } }] } })
      const content = new Float64Array(spec.histogramBuckets * 3)
      for (let k = 0; k < content.length; k++) content[k] = rand()
      out.builder.event({
        wallTime: wall,
        step,
        summary: {
          value: [{
            tag: 'weights/tensor_histogram',
            metadata: { pluginData: { pluginName: 'histograms' }, dataClass: 2 },
            tensor: { dtype: 2, tensorShape: { dim: [{ size: spec.histogramBuckets }, { size: 3 }] }, tensorContent: new Uint8Array(content.buffer) }
          }]
        }
      })
      out.builder.event({ wallTime: wall, step, summary: { value: [{ tag: 'samples/image', image: { height: 64, width: 64, colorspace: 3, encodedImageString: image } }] } })
      nonScalarEvents += 3
      nonScalarBytes += out.builder.length - before
    }
    out.flushIfBig()
  }
  return { bytes: out.close(), scalarEvents, nonScalarEvents, nonScalarBytes }
}

/**
 * One event file whose events each carry `tags` values (one per tag) at the same step, the layout
 * of a writer that batches a step's scalars into one Summary. Used where the number of points
 * matters more than the event layout (the 10 M-point memory load).
 */
export function writeMultiValueFile (file: string, spec: ScalarFileSpec): number {
  const rand = rng(spec.seed)
  const tags = tagNames(spec.tags)
  const w0 = spec.wallTime0 ?? 1_700_000_000
  const out = new StreamingFile(file)
  out.builder.fileVersion(w0)
  for (let step = 0; step < spec.steps; step++) {
    out.builder.scalars(step, w0 + step * 0.01, tags.map((tag, i) => ({ tag, value: (1 + i) * (1 + 0.1 * (rand() - 0.5)), encoding: spec.encoding })))
    out.flushIfBig()
  }
  return out.close()
}

export interface ManyRunsSpec { runs: number, tags: number, points: number, seed: number }

/** `runs` run directories, each with one small event file of tags × points simple_value scalars. */
export function writeManyRuns (dir: string, spec: ManyRunsSpec): { files: number, bytes: number } {
  let bytes = 0
  for (let r = 0; r < spec.runs; r++) {
    const runDir = path.join(dir, `run_${String(r).padStart(4, '0')}`)
    mkdirSync(runDir, { recursive: true })
    bytes += writeScalarFile(path.join(runDir, eventFileName(1_700_000_000 + r, 'bench', r)), {
      steps: spec.points, tags: spec.tags, encoding: 'simple_value', seed: spec.seed + r, wallTime0: 1_700_000_000 + r
    })
  }
  return { files: spec.runs, bytes }
}

/**
 * Returns `DATA_DIR/name`, (re)generating it with `make(dir)` unless a stamp says it was already made
 * with the same `params`. Generation writes into a temp sibling and renames, so a killed run never
 * leaves a half-written logdir that looks complete.
 */
export function cachedLogdir (name: string, params: unknown, make: (dir: string) => unknown): string {
  const dir = path.join(DATA_DIR, name)
  const stamp = path.join(DATA_DIR, `${name}.params.json`)
  const want = JSON.stringify(params)
  if (existsSync(dir) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return dir
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  make(tmp)
  rmSync(dir, { recursive: true, force: true })
  renameSync(tmp, dir)
  writeFileSync(stamp, want)
  return dir
}

/** The single-file ingest logdirs of target 1: `events` scalar events over `tags` tags in one encoding. */
export function ingestLogdir (encoding: 'simple_value' | 'tensor_content', events: number, tags = 10): string {
  const params = { kind: 'ingest', encoding, events, tags, seed: 0, v: 1 }
  return cachedLogdir(`ingest-${encoding}-${events}`, params, (dir) => {
    const run = path.join(dir, 'run')
    mkdirSync(run)
    writeScalarFile(path.join(run, eventFileName(1_700_000_000, 'bench', 1, 0, encoding === 'tensor_content' ? '.v2' : '')), { steps: Math.ceil(events / tags), tags, encoding, seed: 0 })
  })
}

/** Several runs of one big file each: what the two-core ingest (one worker per run) is measured on. */
export function multiRunLogdir (runs: number, eventsPerRun: number, tags = 10): string {
  const params = { kind: 'multi', runs, eventsPerRun, tags, seed: 0, v: 1 }
  return cachedLogdir(`multi-${runs}x${eventsPerRun}`, params, (dir) => {
    for (let r = 0; r < runs; r++) {
      const run = path.join(dir, `run_${r}`)
      mkdirSync(run)
      writeScalarFile(path.join(run, eventFileName(1_700_000_000 + r, 'bench', r)), { steps: Math.ceil(eventsPerRun / tags), tags, encoding: 'simple_value', seed: r, wallTime0: 1_700_000_000 + r })
    }
  })
}

/** `points` scalar points in one run: events of 10 values each (the memory benchmark's input). */
export function pointsLogdir (points: number): string {
  const params = { kind: 'points', points, tags: 10, seed: 0, v: 1 }
  return cachedLogdir(`points-${points}`, params, (dir) => {
    const run = path.join(dir, 'run')
    mkdirSync(run)
    writeMultiValueFile(path.join(run, eventFileName(1_700_000_000, 'bench', 1)), { steps: Math.ceil(points / 10), tags: 10, encoding: 'simple_value', seed: 0 })
  })
}

/** The mixed logdir of target 2: 10 scalar events a step plus a histogram, a tensor histogram and a 16 KiB image every 10 steps. */
export function mixedLogdir (steps: number): string {
  const params = { kind: 'mixed', steps, v: 2 }
  return cachedLogdir(`mixed-${steps}`, params, (dir) => {
    const run = path.join(dir, 'run')
    mkdirSync(run)
    const r = writeMixedFile(path.join(run, eventFileName(1_700_000_000, 'bench', 1)), { steps, scalarTags: 10, imageBytes: 16 * 1024, histogramBuckets: 30, everySteps: 10, seed: 0 })
    writeFileSync(path.join(dir, 'counts.json'), JSON.stringify(r))
  })
}

/** The startup logdir of target 5: `runs` runs × 10 tags × `points` points, one small file per run. */
export function manyRunsLogdir (runs: number, points: number): string {
  const params = { kind: 'many-runs', runs, points, tags: 10, seed: 0, v: 1 }
  return cachedLogdir(`many-runs-${runs}x${points}`, params, (dir) => writeManyRuns(dir, { runs, tags: 10, points, seed: 0 }))
}

/** CLI: `tsx bench/make-logdir.ts --out DIR [--scenario scalars|tensor|mixed|many-runs] [--events N] [--small]`. */
async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      scenario: { type: 'string', default: 'scalars' },
      events: { type: 'string' },
      small: { type: 'boolean' }
    }
  })
  if (!values.out) {
    process.stderr.write('usage: tsx bench/make-logdir.ts --out DIR [--scenario scalars|tensor|mixed|many-runs] [--events N] [--small]\n')
    process.exitCode = 2
    return
  }
  const out = path.resolve(values.out)
  const small = values.small ?? false
  const events = Number(values.events ?? (small ? 20_000 : 2_000_000))
  mkdirSync(out, { recursive: true })
  switch (values.scenario) {
    case 'scalars':
    case 'tensor': {
      const enc: ScalarEncoding = values.scenario === 'tensor' ? 'tensor_content' : 'simple_value'
      const run = path.join(out, 'run')
      mkdirSync(run, { recursive: true })
      const bytes = writeScalarFile(path.join(run, eventFileName(1_700_000_000, 'bench', 1)), { steps: Math.ceil(events / 10), tags: 10, encoding: enc, seed: 0 })
      process.stdout.write(`${out}: ${events} ${enc} events, ${bytes} bytes\n`)
      break
    }
    case 'mixed': {
      const run = path.join(out, 'mixed')
      mkdirSync(run, { recursive: true })
      const r = writeMixedFile(path.join(run, eventFileName(1_700_000_000, 'bench', 1)), { steps: small ? 1000 : 100_000, scalarTags: 10, imageBytes: 64 * 1024, histogramBuckets: 30, everySteps: 100, seed: 0 })
      process.stdout.write(`${out}: ${JSON.stringify(r)}\n`)
      break
    }
    case 'many-runs': {
      const r = writeManyRuns(out, { runs: small ? 20 : 1000, tags: 10, points: small ? 100 : 1000, seed: 0 })
      process.stdout.write(`${out}: ${JSON.stringify(r)}\n`)
      break
    }
    default:
      process.stderr.write(`unknown scenario ${values.scenario}\n`)
      process.exitCode = 2
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err) => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1 })
}
