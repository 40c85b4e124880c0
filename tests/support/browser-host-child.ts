/** A browser host as a separate process (for kill -9 tests): prints its URL and token as one JSON line. */
import { startBrowserHost } from '../../app/node/browser-host.ts';

const [dataDir, rendererDir] = process.argv.slice(2);
const host = await startBrowserHost({ dataDir, rendererDir, port: 0 });
process.stdout.write(`${JSON.stringify({ port: host.port, token: host.token })}\n`);
