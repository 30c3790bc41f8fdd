/**
 * How fast cancelGeneration stops a reply: from sending the mutation to the
 * final (CANCELLED) event at a graphql-ws subscriber, for replies being
 * streamed by the worker process (a slow dev model, a word every 50 ms).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092 \
 *     npx tsx bench/chat-pipeline/cancel.ts [cancels=30]
 */
import { resolve } from 'node:path';
import { CancelGenerationDocument, MessageStreamDocument, RegisterDocument, SendMessageDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startPlatformUnderTest } from '@parley/platform/testing';
import { testModelsSettings } from '@parley/platform/testing';
import { percentile } from '../support/closed-loop';
import { describeMachine } from '../support/machine';
import { createReport } from '../support/report';

const cancels = Number(process.argv[2] ?? 30);
if (!process.env.DATABASE_URL) throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see the header of this file)');

const platform = await startPlatformUnderTest({ settings: testModelsSettings({ slowTokenMs: 50 }), logLevel: 'error' });
const { body } = await postGraphQL(platform.url, RegisterDocument, {
  variables: { input: { email: 'cancel@example.com', password: 'a long enough passphrase' } },
});
const token = body.data!.register.accessToken;
const client = createClient({
  url: platform.url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  lazy: false,
  retryAttempts: 0,
});
const toFinalEvent: number[] = [];
const toAnswer: number[] = [];
const question = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
for (let i = 0; i < cancels; i++) {
  const sent = await postGraphQL(platform.url, SendMessageDocument, {
    token,
    variables: { input: { content: question, model: 'dev/slow' } },
  });
  const id = sent.body.data!.sendMessage.assistantMessage.id;
  let deltas = 0;
  let cancelledAt = NaN;
  let finalAt = NaN;
  let status = '';
  await new Promise<void>((done, fail) => {
    client.subscribe(
      { query: print(MessageStreamDocument), variables: { messageId: id } },
      {
        next: (result) => {
          const event = result.data?.['messageStream'] as { __typename: string; message?: { status: string } } | undefined;
          if (!event) return fail(new Error(JSON.stringify(result.errors)));
          if (event.__typename === 'MessageDelta' && ++deltas === 5) {
            cancelledAt = performance.now();
            void postGraphQL(platform.url, CancelGenerationDocument, { token, variables: { messageId: id } }).then(() =>
              toAnswer.push(performance.now() - cancelledAt),
            );
          }
          if (event.__typename === 'MessageCompleted') {
            finalAt = performance.now();
            status = event.message!.status;
          }
        },
        error: fail,
        complete: done,
      },
    );
  });
  if (status !== 'CANCELLED') throw new Error(`reply ${id} ended ${status}, not CANCELLED`);
  toFinalEvent.push(finalAt - cancelledAt);
}
await new Promise((r) => setTimeout(r, 500));

const lines = [
  '# cancelGeneration: time to stop a streaming reply',
  '',
  `Machine: ${describeMachine()}; services mode, everything on it.`,
  `Command: npx tsx bench/chat-pipeline/cancel.ts ${cancels}  (${new Date().toISOString()})`,
  '',
  `${cancels} replies streamed by the worker process (a word every 50 ms), each cancelled after its fifth delta.`,
  '',
  '| from the cancel request to | p50 ms | p95 ms | max ms |',
  '|---|---|---|---|',
  `| the final (CANCELLED) event at the subscriber | ${percentile(toFinalEvent, 50).toFixed(1)} | ${percentile(toFinalEvent, 95).toFixed(1)} | ${Math.max(...toFinalEvent).toFixed(1)} |`,
  `| the mutation's answer (status CANCELLED) | ${percentile(toAnswer, 50).toFixed(1)} | ${percentile(toAnswer, 95).toFixed(1)} | ${Math.max(...toAnswer).toFixed(1)} |`,
];
const { say, write } = createReport();
for (const line of lines) say(line);
write(resolve(import.meta.dirname, 'CANCEL.md'));
await client.dispose();
await platform.stop();
process.exit(0);
