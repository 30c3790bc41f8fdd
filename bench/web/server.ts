/**
 * The embedded platform as `npm start` runs it (one process, PGlite on a fresh data directory, in-process bus),
 * serving the web client's build from PARLEY_WEB_DIR (the repository's web/dist unless given), on port 0, in a
 * process of its own so that the browser measured and the script driving it take no CPU from its event loop. The
 * product's settings but for the per-address limits on signing in and up: every cold load measured signs in afresh
 * from 127.0.0.1. Prints `{"url", "pid"}` once it listens; SIGTERM stops it and removes the data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmbeddedPlatform } from '@parley/platform';
import { createLogger } from '@parley/runtime';

const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-web-'));
const platform = await startEmbeddedPlatform({
  logger: createLogger({ service: 'parley', level: 'error' }),
  dataDir,
  port: 0,
  settings: {
    LOGIN_ATTEMPTS_PER_IP: '100000',
    REGISTRATIONS_PER_IP: '100000',
    RATE_LIMIT_PER_USER: '10000000',
    RATE_LIMIT_PER_ADDRESS: '10000000',
  },
  ...(process.env.PARLEY_WEB_DIR && { webClientDir: resolve(process.env.PARLEY_WEB_DIR) }),
});
process.stdout.write(`${JSON.stringify({ url: platform.url, pid: process.pid })}\n`);
process.on('SIGTERM', () => {
  void platform
    .stop()
    .finally(() => rmSync(dataDir, { recursive: true, force: true }))
    .finally(() => process.exit(0));
});
