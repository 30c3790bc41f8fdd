import { runTraced } from '@parley/telemetry/tracing';

// Tracing starts before anything it instruments is imported, so the gateway is imported inside.
await runTraced(
  'gateway',
  async (tracing) => {
    const { exitOnStartFailure } = await import('@parley/service-host');
    const { main } = await import('./gateway-main');
    await main(tracing).catch(exitOnStartFailure('gateway'));
  },
  { publicEdge: true },
);
