import type { ListeningServer, SubgraphServer } from '@parley/runtime';
import { describe, expect, it } from 'vitest';
import { drainSubgraph, type SubgraphService } from '../src';

describe('draining a subgraph (what every host does on SIGTERM)', () => {
  it('stops its background work while HTTP still answers, and flushes only once HTTP has drained', async () => {
    const order: string[] = [];
    const service: SubgraphService = {
      server: {} as SubgraphServer,
      stop: async () => void order.push('background stopped'),
      flush: async () => void order.push('flushed'),
    };
    const listening: ListeningServer = { url: 'http://127.0.0.1:1/graphql', port: 1, close: async () => void order.push('http drained') };
    const steps: string[] = [];

    await drainSubgraph(service, listening, (step, ms) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      steps.push(step);
    });

    expect(order).toEqual(['background stopped', 'http drained', 'flushed']);
    expect(steps).toEqual(['background', 'http', 'flush']);
  });

  it('drains a service with neither background work nor anything to flush', async () => {
    let closed = false;
    const listening: ListeningServer = { url: 'http://127.0.0.1:1/graphql', port: 1, close: async () => void (closed = true) };
    await drainSubgraph({ server: {} as SubgraphServer }, listening);
    expect(closed).toBe(true);
  });
});
