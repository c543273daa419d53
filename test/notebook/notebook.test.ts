/**
 * Executes every Python example of docs/notebook.md with Debian's python3 against a real server
 * over test/notebook/fixture.ts's logdir, and compares what it prints with the guide's Output
 * block. pandas examples need python3-pandas (apt); the stdlib examples need only python3.
 */

import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { REPO, tempDir } from '../helpers/paths.js'
import { startServer, type Server } from '../http/helpers.js'
import { writeNotebookLogdir, appendTrainLoss } from './fixture.js'

const PYTHON = '/usr/bin/python3'

interface Example { kind: 'pandas' | 'stdlib', code: string, output: string, line: number }

/** The guide's setup block and its examples: each ```python pandas|stdlib block with the ```text block after it. */
function parseGuide (md: string): { setup: string, examples: Example[] } {
  const fence = /```(python|text)( [a-z]+)?\n([\s\S]*?)```/g
  let setup = ''
  const examples: Example[] = []
  let pending: Omit<Example, 'output'> | null = null
  for (const m of md.matchAll(fence)) {
    const line = md.slice(0, m.index).split('\n').length
    const kind = (m[2] ?? '').trim()
    if (m[1] === 'python') {
      assert.equal(pending, null, `python block at line ${pending?.line} has no Output block`)
      if (kind === 'setup') setup = m[3]!
      else if (kind === 'pandas' || kind === 'stdlib') pending = { kind, code: m[3]!, line }
      else assert.fail(`python block at line ${line} must be marked setup, pandas or stdlib`)
    } else if (pending !== null) {
      examples.push({ ...pending, output: m[3]! })
      pending = null
    }
  }
  assert.equal(pending, null, 'the last python block has no Output block')
  return { setup, examples }
}

const guide = parseGuide(readFileSync(path.join(REPO, 'docs', 'notebook.md'), 'utf8'))
const havePython = spawnSync(PYTHON, ['-c', 'pass']).status === 0
const havePandas = havePython && spawnSync(PYTHON, ['-c', 'import pandas, numpy']).status === 0

/** Runs a script to completion; returns stdout, and fails with stderr on a non-zero exit. */
async function runPython (script: string, url: string, onLine?: (line: string) => void): Promise<string> {
  return await new Promise((resolve, reject) => {
    const p = spawn(PYTHON, ['-c', script], { env: { ...process.env, LOSSBOARD_URL: url, PYTHONIOENCODING: 'utf-8' } })
    let out = ''
    let err = ''
    let partial = ''
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`python timed out; stdout: ${out}; stderr: ${err}`)) }, 30_000)
    p.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c
      partial += c
      let i
      while ((i = partial.indexOf('\n')) >= 0) { onLine?.(partial.slice(0, i)); partial = partial.slice(i + 1) }
    })
    p.stderr.setEncoding('utf8').on('data', (c: string) => { err += c })
    p.on('close', code => {
      clearTimeout(timer)
      if (code === 0) resolve(out)
      else reject(new Error(`python exited ${code}:\n${err}`))
    })
  })
}

describe('docs/notebook.md examples', () => {
  const tmp = tempDir()
  let srv: Server
  before(async () => {
    assert.ok(havePython, `${PYTHON} is required (Debian package python3)`)
    writeNotebookLogdir(tmp.dir)
    srv = await startServer(tmp.dir)
  })
  after(async () => { await srv?.close(); tmp.cleanup() })

  it('has a setup block, pandas and stdlib examples, each with an Output block', () => {
    assert.match(guide.setup, /LOSSBOARD_URL/)
    assert.ok(guide.examples.filter(e => e.kind === 'pandas').length >= 5)
    assert.ok(guide.examples.filter(e => e.kind === 'stdlib').length >= 5)
  })

  for (const ex of guide.examples) {
    const live = ex.code.includes('api("stream"')
    const name = `${ex.kind} example at docs/notebook.md:${ex.line}${live ? ' (live loop)' : ''}`
    const skip = ex.kind === 'pandas' && !havePandas ? 'python3-pandas is not installed (apt-get install python3-pandas)' : false
    it(name, { skip }, async () => {
      if (!live) {
        const out = await runPython(guide.setup + ex.code, srv.origin)
        assert.equal(out.trimEnd(), ex.output.trimEnd())
        return
      }
      // The live loop gets its own server, and this test plays the training process:
      // 1. wait until the loop listens, 2. append steps 100..102, 3. once it printed them, append 103..104.
      const own = tempDir()
      const trainFile = writeNotebookLogdir(own.dir)
      const liveSrv = await startServer(own.dir)
      try {
        const out = await runPython(guide.setup + ex.code, liveSrv.origin, line => {
          if (line === 'listening') {
            appendTrainLoss(trainFile, [100, 101, 102])
            void liveSrv.loader.reload()
          } else if (line.startsWith('steps 100..')) {
            appendTrainLoss(trainFile, [103, 104])
            void liveSrv.loader.reload()
          }
        })
        assert.equal(out.trimEnd(), ex.output.trimEnd())
      } finally {
        await liveSrv.close()
        own.cleanup()
      }
    })
  }
})
