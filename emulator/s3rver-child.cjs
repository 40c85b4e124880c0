// Runs s3rver in its own Node process, started by s3rver.ts with --openssl-legacy-provider: s3rver encrypts
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through the legacy provider. Without it,
// every truncated listing (more keys than MaxKeys) answers 500 InternalError ("error:0308010C:digital envelope
// routines::unsupported"), while single-page listings and object operations work.
// Argument: a JSON object { directory, buckets }. Prints one line {"port": N} on stdout once it listens.
'use strict';
const S3rver = require('s3rver');

const { directory, buckets } = JSON.parse(process.argv[2]);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
});
server.run().then(
  (addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\n'),
  (err) => {
    process.stderr.write(`s3rver failed to start: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
// The parent closing our stdin (or dying) ends us: no orphaned servers.
process.stdin.resume();
process.stdin.on('end', () => server.close().finally(() => process.exit(0)));
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
