// A real S3-protocol server (s3rver) on 127.0.0.1 for the tests, in its own process.
// Usage: node --openssl-legacy-provider s3rver-main.cjs DIR BUCKET
// s3rver 3.x signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers
// through its legacy provider: hence the flag, and hence a separate process.
'use strict'
const S3rver = require('s3rver')

const [dir, bucket] = process.argv.slice(2)
const server = new S3rver({ port: 0, address: '127.0.0.1', directory: dir, silent: true, configureBuckets: [{ name: bucket }] })
server.run().then(({ port }) => {
  process.stdout.write(`${port}\n`)
}, err => {
  process.stderr.write(`s3rver failed: ${err.stack}\n`)
  process.exit(1)
})
process.on('SIGTERM', () => { server.close().finally(() => process.exit(0)) })
