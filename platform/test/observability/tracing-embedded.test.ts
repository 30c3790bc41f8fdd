import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startOtlpReceiver, startServiceProcess, waitUntilReady, type OtlpReceiver, type ServiceProcess } from '@parley/testing';
import { PASSPHRASE, registerUser, sendAndWaitForReply } from '@parley/testing/parley-client';
import { afterEach, describe, expect, it } from 'vitest';
import { expectNotInAnySpan, expectOneMessageTrace, sendAndFollow, TRACING_SETTINGS } from './message-trace';

/** `npm start`'s process, as a user runs it, with `env` on top: tracing starts before anything it instruments loads. */
async function startEmbeddedProcess(env: Record<string, string>): Promise<{ url: string; process: ServiceProcess }> {
  const port = await freePort();
  const child = startServiceProcess('parley', 'scripts/start-embedded.ts', {
    PORT: String(port),
    PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-traced-')),
    LOG_LEVEL: 'debug',
    ...env,
  });
  await waitUntilReady(`http://127.0.0.1:${port}/readyz`, child);
  return { url: `http://127.0.0.1:${port}/graphql`, process: child };
}

describe('tracing in the embedded process', () => {
  let receiver: OtlpReceiver | undefined;
  let embedded: { process: ServiceProcess } | undefined;
  afterEach(async () => {
    await embedded?.process.stop('SIGKILL');
    await receiver?.stop();
  });

  it('follows a sendMessage through the gateway, the in-process bus, the worker and the model call to the subscriber, in one trace', async () => {
    receiver = await startOtlpReceiver();
    const started = await startEmbeddedProcess(TRACING_SETTINGS(receiver.url));
    embedded = started;
    const alice = await registerUser(started.url, 'alice@example.com');
    const replyId = await sendAndFollow(started.url, alice.token, 'Trace me in one process');
    const trace = await expectOneMessageTrace(receiver, replyId, ['parley']);
    expect(trace.some((s) => s.name === 'chat.message.requested process')).toBe(true);
    // What the user wrote and their password went through SQL and Redis, but into no span.
    expectNotInAnySpan(receiver, ['Trace me in one process', PASSPHRASE, 'alice@example.com']);
    const traceId = trace[0]!.traceId;
    expect(started.process.output()).toContain(`"trace_id":"${traceId}"`);
  });

  it('sends nothing and stamps no log line when tracing is turned off', async () => {
    receiver = await startOtlpReceiver();
    const started = await startEmbeddedProcess({ ...TRACING_SETTINGS(receiver.url), OTEL_TRACES_EXPORTER: 'none' });
    embedded = started;
    const alice = await registerUser(started.url, 'alice@example.com');
    const sent = await sendAndWaitForReply(started.url, alice.token, { content: 'Do not trace me', model: 'dev/echo' });
    expect(sent.reply.status).toBe('COMPLETED');
    // The exporter, had one started, would have sent within its 100 ms schedule: give it ten times that.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.requests()).toBe(0);
    expect(started.process.output()).not.toContain('"trace_id"');
  });
});
