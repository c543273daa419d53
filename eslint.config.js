// neostandard (the style fastify/demo uses), with its TypeScript support, over server, web, test,
// bench and scripts. `npm test` runs it before the suite.
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'node_modules/**', 'demo-logs/**'],
  }),
  {
    rules: {
      // `void promise` marks a promise deliberately not awaited (timers, fire-and-forget writes).
      'no-void': ['error', { allowAsStatement: true }],
    },
  },
]
