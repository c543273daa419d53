/** Base revision against the working tree: the same `lossboard load` cases, alternating, in fresh processes; prints ratios. */

import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ingestLogdir, manyRunsLogdir } from './make-logdir.js'
import { QUICK, REPO, JSON_OUT, machine, median, progress, lossboardLoad, type LoadJson } from './lib.js'

/*
 * Usage: bash bench/compare.sh [REF=HEAD~1] [--quick] [--rounds N]
 * Checks REF out with `git worktree add --detach` under /tmp (its node_modules is a symlink to
 * this checkout's), then for each case runs `lossboard load DIR --json` from the base and from the
 * working tree, ROUNDS times each, reversing the order every round (Hono's compare.sh does the
 * same), each in a fresh process. Inputs come from this checkout's generator, so both variants
 * read identical bytes. Prints the median wall and CPU seconds per variant and "working tree is
 * N.NNx faster than REF"; the worktree is removed afterwards; the figures also go to bench/.data/compare-results.json.
 */

interface Case { name: string, dir: string }

function args (): { ref: string, rounds: number } {
  const a = process.argv.slice(2)
  const r = a.indexOf('--rounds')
  const rounds = r >= 0 ? Number(a[r + 1]) : (QUICK ? 3 : 7)
  const ref = a.find((x, i) => !x.startsWith('--') && (r < 0 || i !== r + 1)) ?? 'HEAD~1'
  return { ref, rounds }
}

async function main (): Promise<void> {
  const { ref, rounds } = args()
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: REPO, encoding: 'utf8' }).trim()
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lossboard-base-'))
  const base = path.join(tmp, 'base')
  execFileSync('git', ['worktree', 'add', '--detach', base, sha], { cwd: REPO, stdio: 'ignore' })
  try {
    if (!existsSync(path.join(base, 'node_modules'))) symlinkSync(path.join(REPO, 'node_modules'), path.join(base, 'node_modules'))
    const events = QUICK ? 500_000 : 2_000_000
    const cases: Case[] = [
      { name: `${events / 1e6}M simple_value events, 1 file`, dir: ingestLogdir('simple_value', events) },
      { name: `${events / 1e6}M tensor_content events, 1 file`, dir: ingestLogdir('tensor_content', events) },
      { name: `${QUICK ? 100 : 200} runs x 10k events`, dir: manyRunsLogdir(QUICK ? 100 : 200, 1000) }
    ]
    const rows: Array<Record<string, unknown>> = []
    for (const c of cases) {
      const res: Record<'base' | 'work', LoadJson[]> = { base: [], work: [] }
      for (let r = 0; r < rounds; r++) {
        const order: Array<'base' | 'work'> = r % 2 === 0 ? ['base', 'work'] : ['work', 'base']
        for (const v of order) res[v].push(await lossboardLoad(c.dir, [], v === 'base' ? base : REPO))
      }
      const wall = (v: 'base' | 'work'): number => median(res[v].map(x => x.seconds))
      const cpu = (v: 'base' | 'work'): number => median(res[v].map(x => x.cpuSeconds ?? NaN))
      const ratio = wall('base') / wall('work')
      rows.push({ case: c.name, events: res.work[0]!.records, baseSeconds: wall('base'), workSeconds: wall('work'), baseCpuSeconds: cpu('base'), workCpuSeconds: cpu('work'), speedup: ratio })
      const line = `${c.name}: ${sha} ${wall('base').toFixed(3)} s, working tree ${wall('work').toFixed(3)} s (medians of ${rounds}) — working tree is ${ratio >= 1 ? `${ratio.toFixed(2)}x faster` : `${(1 / ratio).toFixed(2)}x slower`} than ${ref}`
      if (!JSON_OUT) process.stdout.write(line + '\n')
      progress(line)
    }
    const out = { date: new Date().toISOString(), ref, sha, rounds, quick: QUICK, machine: machine(), rows }
    if (JSON_OUT) process.stdout.write(JSON.stringify(out) + '\n')
    writeFileSync(path.join(REPO, 'bench', '.data', 'compare-results.json'), JSON.stringify(out, null, 2) + '\n')
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', base], { cwd: REPO, stdio: 'ignore' })
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1 })
