import { runTraced } from '@parley/telemetry/tracing';

// Tracing starts before anything it instruments is imported, so the service is imported inside.
await runTraced('chat', async (tracing) => {
  const { exitOnStartFailure, runSubgraph } = await import('@parley/service-host');
  const { chatSubgraph } = await import('./server');
  await runSubgraph(chatSubgraph, process.env, tracing).catch(exitOnStartFailure('chat'));
});
