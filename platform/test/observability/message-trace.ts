import type { OtlpReceiver, ReceivedSpan } from '@parley/testing';
import { sendMessage } from '@parley/testing/parley-client';
import { connect, subscribe } from '@parley/testing/subscriptions';
import { expect } from 'vitest';

/**
 * Sends a message and follows its reply to the end over graphql-ws, as a client does: the reply's ending is
 * delivered to this subscriber inside the message's trace. Answers the reply's id.
 */
export async function sendAndFollow(url: string, token: string, content: string): Promise<string> {
  const sent = await sendMessage(url, token, { content, model: 'dev/echo' });
  const client = connect(url, { token });
  try {
    const stream = subscribe(
      client,
      'subscription Follow($id: ID!) { messageStream(messageId: $id) { __typename seq ... on MessageCompleted { message { status } } } }',
      { id: sent.assistantMessage.id },
    );
    expect(await stream.ended).toEqual({});
    expect(stream.results.at(-1)?.data?.['messageStream']).toMatchObject({
      __typename: 'MessageCompleted',
      message: { status: 'COMPLETED' },
    });
  } finally {
    await client.dispose();
  }
  return sent.assistantMessage.id;
}

/** Tracing on, every span sampled, exported as OTLP/JSON to `endpoint` within a fraction of a second. */
export const TRACING_SETTINGS = (endpoint: string): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_TRACES_SAMPLER: 'always_on',
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

/**
 * Waits for the trace of the reply `messageId` (found by its worker span) to hold spans of every `service`, and
 * checks what a reader of it relies on: one trace id, every parent present in it (no broken chain), the model call
 * with its GenAI attributes and the reply's first delta. Returns its spans.
 */
export async function expectOneMessageTrace(receiver: OtlpReceiver, messageId: string, services: string[]): Promise<ReceivedSpan[]> {
  const traceOf = () => {
    const reply = receiver.spans().find((s) => s.name === 'chat.reply generate' && s.attributes['parley.message_id'] === messageId);
    return reply ? receiver.spans().filter((s) => s.traceId === reply.traceId) : [];
  };
  await expect
    .poll(() => [...new Set(traceOf().map((s) => s.service))].sort(), { timeout: 20_000 })
    .toEqual(expect.arrayContaining(services));
  const trace = traceOf();
  const ids = new Set(trace.map((s) => s.spanId));
  const roots = trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
  // One root: the gateway's HTTP request; everything else hangs under it.
  expect(roots.map((s) => `${s.service}: ${s.name}`)).toEqual([expect.stringMatching(/^(gateway|parley): POST/)]);
  const modelCall = trace.find((s) => s.name === 'chat dev/echo' && s.attributes['gen_ai.operation.name'] === 'chat');
  expect(modelCall?.attributes).toMatchObject({
    'gen_ai.request.model': 'dev/echo',
    'gen_ai.response.model': 'dev/echo',
    'gen_ai.provider.name': 'dev',
    'gen_ai.usage.input_tokens': expect.any(Number),
    'gen_ai.usage.output_tokens': expect.any(Number),
  });
  expect(trace.find((s) => s.name === 'chat.reply generate')!.events).toContain('parley.first_delta');
  // And its ending handed to the subscriber by a gateway, in the same trace.
  expect(trace.some((s) => s.name === 'chat.reply deliver' && s.attributes['parley.message_id'] === messageId)).toBe(true);
  return trace;
}

/** No span anyone exported carries these texts (a message's content, a password) in a name or an attribute. */
export function expectNotInAnySpan(receiver: OtlpReceiver, texts: string[]): void {
  const exported = JSON.stringify(receiver.spans());
  for (const text of texts) expect(exported.includes(text), `"${text}" is in an exported span`).toBe(false);
}
