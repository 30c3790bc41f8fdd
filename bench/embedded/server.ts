/**
 * The embedded platform as `npm start` runs it (one process, PGlite, in-process bus), on port 0 and a fresh data
 * directory, with the edge benchmarks' limits (high enough to refuse nothing; every check still runs) and requests
 * waiting for an admission slot rather than being refused. Prints `{"url", "pid"}` once it listens.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPlatform } from '@parley/platform';
import { createLogger } from '@parley/runtime';
import { EDGE_SETTINGS } from '../gateway-edge/seeding';

const platform = await startEmbeddedPlatform({
  logger: createLogger({ service: 'parley', level: 'error' }),
  dataDir: mkdtempSync(join(tmpdir(), 'parley-bench-embedded-')),
  port: 0,
  settings: { ...EDGE_SETTINGS, MAX_QUEUED_REQUESTS: '100000', MAX_QUEUE_WAIT_MS: '60000' },
});
process.stdout.write(`${JSON.stringify({ url: platform.url, pid: process.pid })}\n`);
process.on('SIGTERM', () => void platform.stop().finally(() => process.exit(0)));
