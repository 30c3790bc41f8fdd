import { runTraced } from '@parley/telemetry/tracing';

// Tracing starts before anything it instruments is imported, so the service is imported inside.
await runTraced('models', async (tracing) => {
  const { exitOnStartFailure, runSubgraph } = await import('@parley/service-host');
  const { modelsSubgraph } = await import('./server');
  await runSubgraph(modelsSubgraph, process.env, tracing).catch(exitOnStartFailure('models'));
});
