/** Issue 9: 50 connections for 30 s on TensorBoard's /data scalars of a 50 k-point tag with a live writer; /healthz p99, announcements, points lost. */

import { runLoadScenario } from '../test/helpers/load-scenario.js'
import { QUICK, report, progress } from './lib.js'

async function main (): Promise<void> {
  const seconds = QUICK ? 10 : 30
  progress(`50 connections × ${seconds} s on /data/plugin/scalars/scalars (50 k points) with a live writer …`)
  const r = await runLoadScenario({ seconds })
  const { statusCodes, ...metrics } = r
  report({
    scenario: 'hold/data-scalars-50c',
    metrics,
    targets: [
      { what: '0 errors, 0 non-2xx, 0 timeouts', met: r.errors === 0 && r.non2xx === 0 && r.timeouts === 0 },
      { what: '/healthz p99 < 100 ms', met: r.healthP99Ms < 100 },
      { what: 'every live append announced within 1 s', met: r.lateAnnouncements === 0 },
      { what: 'every written point served (0 lost)', met: r.pointsLost === 0 && r.pointsServed === r.pointsWritten }
    ],
    notes: [`status codes: ${JSON.stringify(statusCodes)}`]
  })
}

main().catch((err) => { console.error(err); process.exit(1) })
