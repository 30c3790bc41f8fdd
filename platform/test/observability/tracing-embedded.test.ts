import { startEmbeddedProcess, startOtlpReceiver, type OtlpReceiver, type ServiceProcess } from '@parley/testing';
import { PASSPHRASE, registerUser, sendAndWaitForReply } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNotInAnySpan, expectOneMessageTrace, sendAndFollow, TRACING_SETTINGS } from './message-trace';

/** Starts an OTLP receiver and `npm start`'s process exporting to it (with `env` on top) before the suite's tests. */
function embeddedWithReceiver(env: (receiverUrl: string) => Record<string, string>) {
  const under: { receiver?: OtlpReceiver; url?: string; process?: ServiceProcess } = {};
  // Starting the process (PGlite, migrations, four subgraphs, the gateway) belongs to the hook, whose budget is
  // sized for a loaded machine; the tests time only what a user does.
  beforeAll(async () => {
    under.receiver = await startOtlpReceiver();
    // `npm start`'s own process: tracing starts before anything it instruments loads.
    const { url, process } = await startEmbeddedProcess({ LOG_LEVEL: 'debug', ...env(under.receiver.url) });
    Object.assign(under, { url, process });
  });
  afterAll(async () => {
    await under.process?.stop('SIGKILL');
    await under.receiver?.stop();
  });
  return under as Required<typeof under>;
}

describe('tracing in the embedded process', () => {
  const embedded = embeddedWithReceiver(TRACING_SETTINGS);

  it('follows a sendMessage through the gateway, the in-process bus, the worker and the model call to the subscriber, in one trace', async () => {
    const alice = await registerUser(embedded.url, 'alice@example.com');
    const replyId = await sendAndFollow(embedded.url, alice.token, 'Trace me in one process');
    const trace = await expectOneMessageTrace(embedded.receiver, replyId, ['parley']);
    expect(trace.some((s) => s.name === 'chat.message.requested process')).toBe(true);
    // What the user wrote and their password went through SQL and Redis, but into no span.
    expectNotInAnySpan(embedded.receiver, ['Trace me in one process', PASSPHRASE, 'alice@example.com']);
    const traceId = trace[0]!.traceId;
    expect(embedded.process.output()).toContain(`"trace_id":"${traceId}"`);
  });
});

describe('tracing turned off in the embedded process', () => {
  const embedded = embeddedWithReceiver((url) => ({ ...TRACING_SETTINGS(url), OTEL_TRACES_EXPORTER: 'none' }));

  it('sends nothing and stamps no log line', async () => {
    const alice = await registerUser(embedded.url, 'alice@example.com');
    const sent = await sendAndWaitForReply(embedded.url, alice.token, { content: 'Do not trace me', model: 'dev/echo' });
    expect(sent.reply.status).toBe('COMPLETED');
    // The exporter, had one started, would have sent within its 100 ms schedule: give it ten times that.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(embedded.receiver.requests()).toBe(0);
    expect(embedded.process.output()).not.toContain('"trace_id"');
  });
});
