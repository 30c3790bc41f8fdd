import { runTraced } from '@parley/telemetry/tracing';

// Tracing starts before anything it instruments is imported, so the service is imported inside.
await runTraced('users', async (tracing) => {
  const { exitOnStartFailure, runSubgraph } = await import('@parley/service-host');
  const { usersSubgraph } = await import('./server');
  await runSubgraph(usersSubgraph, process.env, tracing).catch(exitOnStartFailure('users'));
});
