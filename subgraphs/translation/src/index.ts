import { runTraced } from '@parley/telemetry/tracing';

// Tracing starts before anything it instruments is imported, so the service is imported inside.
await runTraced('translation', async (tracing) => {
  const { exitOnStartFailure, runSubgraph } = await import('@parley/service-host');
  const { translationSubgraph } = await import('./server');
  await runSubgraph(translationSubgraph, process.env, tracing).catch(exitOnStartFailure('translation'));
});
