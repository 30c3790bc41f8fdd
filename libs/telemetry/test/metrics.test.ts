import { describe, expect, it } from 'vitest';
import { boundedLabel, createMetrics } from '../src/index';

describe('metrics', () => {
  it('labels every series of a process with its service and serves them as Prometheus text', async () => {
    const metrics = createMetrics({ service: 'chat' });
    metrics.business.messagesSent.inc();
    const text = await metrics.text();
    expect(text).toMatch(/^parley_messages_sent_total\{service="chat"\} 1$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds\{service="chat"\} /m);
    expect(metrics.contentType).toContain('text/plain');
  });

  it('refreshes gauges read from elsewhere at each scrape, and still answers when one refresh fails', async () => {
    const failures: unknown[] = [];
    const metrics = createMetrics({ service: 'chat', runtime: false, onError: (error) => failures.push(error) });
    let backlog = 3;
    metrics.onScrape(() => metrics.pipeline.outboxBacklog.set(backlog));
    metrics.onScrape(async () => {
      throw new Error('PostgreSQL is restarting');
    });
    expect(await metrics.text()).toMatch(/^parley_outbox_backlog 3$/m);
    backlog = 0;
    expect(await metrics.text()).toMatch(/^parley_outbox_backlog 0$/m);
    expect(failures).toHaveLength(2);
  });

  it('keeps two processes’ registries apart: the embedded platform and a test can build their own', async () => {
    const a = createMetrics({ service: 'a', runtime: false });
    const b = createMetrics({ service: 'b', runtime: false });
    a.business.conversationsCreated.inc(2);
    expect(await a.text()).toMatch(/^parley_conversations_created_total 2$/m);
    expect(await b.text()).toMatch(/^parley_conversations_created_total 0$/m);
  });
});

describe('boundedLabel', () => {
  it('lets the first names through and counts every later one as other', () => {
    const label = boundedLabel(2);
    expect([label('Me'), label('Models'), label('Random1'), label('Me'), label(null)]).toEqual([
      'Me',
      'Models',
      'other',
      'Me',
      'anonymous',
    ]);
  });
});
