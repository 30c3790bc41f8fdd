/** npm start: tracing first (off unless OTEL_* asks for it), then the embedded platform (embedded-main.ts). */
import { runTraced } from '@parley/telemetry/tracing';

await runTraced('parley', async (tracing) => {
  const { startEmbedded } = await import('./embedded-main');
  await startEmbedded(tracing);
});
