import { runTraced } from '@parley/telemetry/tracing';

// Tracing starts before anything it instruments is imported, so the worker is imported inside.
await runTraced('chat-worker', async (tracing) => {
  const { exitOnStartFailure, runWorker } = await import('@parley/service-host');
  const { chatSubgraph, startChatWorkerFrom } = await import('./server');
  await runWorker(chatSubgraph, { name: 'chat-worker', defaultPort: 4012, start: startChatWorkerFrom, tracing }).catch(
    exitOnStartFailure('chat-worker'),
  );
});
