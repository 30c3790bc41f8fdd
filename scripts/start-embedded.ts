/**
 * npm start: the web client built if it is missing or stale (web-build.ts; PARLEY_SKIP_WEB_BUILD=1 skips it), then
 * tracing (off unless OTEL_* asks for it), then the embedded platform (embedded-main.ts). Not a
 * `publicEdge`: its own services call each other over HTTP in this process (the worker → models), and those calls
 * carry the trace; a deployment facing the public runs services mode, whose gateway is one.
 */
import { runTraced } from '@parley/telemetry/tracing';
import { buildWebClientBeforeStart } from './web-build';

await buildWebClientBeforeStart();

await runTraced('parley', async (tracing) => {
  const { startEmbedded } = await import('./embedded-main');
  await startEmbedded(tracing);
});
