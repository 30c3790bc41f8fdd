import { createHash } from 'node:crypto';
import { ConversationUsageDocument, LoginDocument } from '@parley/client';
import { postGraphQL, prometheusSamples, sampleSum, type PrometheusSample } from '@parley/testing';
import { registerUser, sendAndWaitForReply } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';

const METRICS_TOKEN = 'a-scrape-token-of-the-suite';

/** What Prometheus would scrape from every process of the platform at once. */
async function scrapeAll(platform: PlatformUnderTest): Promise<PrometheusSample[]> {
  const texts = await Promise.all(
    Object.values(platform.metricsUrls).map(async (url) => {
      const response = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(response.status, url).toBe(200);
      return response.text();
    }),
  );
  return texts.flatMap(prometheusSamples);
}

describe('Prometheus metrics of a reply, through the gateway', () => {
  let platform: PlatformUnderTest;
  let answered: Promise<{ usage: { promptTokens: number; completionTokens: number; costUsd: number }; samples: PrometheusSample[] }>;
  /** One reply, sent and finished, then every process scraped: the first test to ask runs it (polls belong inside a test). */
  const reply = () => (answered ??= sendOneReply());

  async function sendOneReply() {
    const alice = await registerUser(platform.url, 'alice@example.com');
    const sent = await sendAndWaitForReply(platform.url, alice.token, { content: 'Count my tokens, please', model: 'dev/echo' });
    expect(sent.reply.status).toBe('COMPLETED');
    const { body } = await postGraphQL(platform.url, ConversationUsageDocument, {
      token: alice.token,
      variables: { id: sent.conversation.id },
    });
    const usage = body.data!.conversation!.messages.edges.find((e) => e.node.id === sent.assistantMessage.id)!.node.usage!;
    expect(usage.completionTokens).toBeGreaterThan(0);
    // The usage record and the reply's final event are written before the counters a scrape reads are all in.
    await expect.poll(async () => sampleSum(await scrapeAll(platform), 'parley_replies_finished_total', { status: 'COMPLETED' })).toBe(1);
    return { usage, samples: await scrapeAll(platform) };
  }

  beforeAll(async () => {
    // A dev model priced at $1,000 a million tokens (a tenth of a cent each): a spend that cannot be confused with zero.
    platform = await startPlatformUnderTest({ settings: { ...testModelsSettings({ pricePerMTok: 1_000 }), METRICS_TOKEN } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('counts the reply’s tokens by type and its cost by model and deployment, as the usage report has them', async () => {
    const { usage, samples } = await reply();
    const model = { gen_ai_request_model: 'dev/echo', deployment: 'dev-echo' };
    const call = { ...model, gen_ai_operation_name: 'chat', gen_ai_provider_name: 'dev' };
    expect(sampleSum(samples, 'gen_ai_client_token_usage_sum', { ...call, gen_ai_token_type: 'input' })).toBe(usage.promptTokens);
    expect(sampleSum(samples, 'gen_ai_client_token_usage_sum', { ...call, gen_ai_token_type: 'output' })).toBe(usage.completionTokens);
    expect(sampleSum(samples, 'gen_ai_client_token_usage_count', { ...call, gen_ai_token_type: 'output' })).toBe(1);
    expect(sampleSum(samples, 'parley_model_cost_usd_total', model)).toBeCloseTo(usage.costUsd, 6);
    expect(usage.costUsd).toBeCloseTo((usage.promptTokens + usage.completionTokens) / 1_000, 9);
    expect(sampleSum(samples, 'parley_model_budget_limit_usd', { period: 'day' })).toBe(10);
    expect(sampleSum(samples, 'parley_model_budget_limit_usd', { period: 'month' })).toBe(100);
  });

  it('reports the time to the first token and per output token of the call', async () => {
    const { usage, samples } = await reply();
    const model = { gen_ai_request_model: 'dev/echo', deployment: 'dev-echo' };
    expect(sampleSum(samples, 'gen_ai_server_time_to_first_token_seconds_count', model)).toBe(1);
    expect(sampleSum(samples, 'gen_ai_server_time_to_first_token_seconds_bucket', { ...model, le: '+Inf' })).toBe(1);
    expect(sampleSum(samples, 'gen_ai_client_operation_duration_seconds_count', { ...model, error_type: '' })).toBe(1);
    if (usage.completionTokens > 1) expect(sampleSum(samples, 'gen_ai_server_time_per_output_token_seconds_count', model)).toBe(1);
  });

  it('counts the gateway’s operations by name and type, and the pipeline’s progress', async () => {
    const { samples } = await reply();
    expect(sampleSum(samples, 'parley_graphql_operations_total', { operation: 'SendMessage', type: 'mutation', outcome: 'ok' })).toBe(1);
    expect(sampleSum(samples, 'parley_graphql_operation_duration_seconds_count', { operation: 'SendMessage' })).toBe(1);
    expect(sampleSum(samples, 'parley_messages_sent_total')).toBe(1);
    expect(sampleSum(samples, 'parley_conversations_created_total')).toBe(1);
    // Alice signed up (a session) for this reply: one active user in the hour and the day.
    expect(sampleSum(samples, 'parley_active_users', { window: '1h' })).toBe(1);
    expect(sampleSum(samples, 'parley_active_users', { window: '24h' })).toBe(1);
    expect(sampleSum(samples, 'parley_replies_in_flight')).toBe(0);
    expect(sampleSum(samples, 'parley_outbox_backlog')).toBe(0);
    expect(sampleSum(samples, 'parley_model_deployment_healthy', { deployment: 'dev-echo' })).toBeGreaterThan(0);
    expect(sampleSum(samples, 'parley_model_deployment_breaker_open', { deployment: 'dev-echo' })).toBe(0);
    expect(sampleSum(samples, 'parley_http_requests_total', { route: '/graphql', method: 'POST', status: '200' })).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
    // The worker's group has read the request (Kafka in services mode; the in-process bus has no backlog).
    const lag = { topic: 'chat.message.requested', group: 'chat-worker' };
    // Every consumer group of the platform is reported, not only the worker's.
    const groups = new Set(samples.filter((s) => s.name === 'parley_kafka_consumer_lag').map((s) => s.labels['group']));
    expect([...groups]).toEqual(expect.arrayContaining(['chat-worker', 'chat-user-eraser', 'translation-auto-translate']));
    await expect.poll(async () => sampleSum(await scrapeAll(platform), 'parley_kafka_consumer_lag', lag)).toBe(0);
  });

  it('counts refused credentials by kind: tokens (a malformed header among them), API keys and passwords', async () => {
    const before = sampleSum(await scrapeAll(platform), 'parley_authentication_failures_total', { reason: 'access_token' });
    for (const authorization of ['Bearer not-a-jwt', 'Basic dXNlcjpwYXNz']) {
      const response = await fetch(platform.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      expect(response.status).toBe(401);
    }
    const apiKey = await fetch(platform.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer pk_not_a_key' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(apiKey.status).toBe(401);
    const wrongPassword = await postGraphQL(platform.url, LoginDocument, {
      variables: { email: 'alice@example.com', password: 'not her passphrase' },
    });
    expect(wrongPassword.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const samples = await scrapeAll(platform);
    expect(sampleSum(samples, 'parley_authentication_failures_total', { reason: 'access_token' }) - before).toBe(2);
    expect(sampleSum(samples, 'parley_authentication_failures_total', { reason: 'password' })).toBe(1);
    expect(sampleSum(samples, 'parley_authentication_failures_total', { reason: 'api_key' })).toBeGreaterThanOrEqual(1);
  });

  it('labels operations only by the names their documents declare, never by what a body claims', async () => {
    const post = (body: object) =>
      fetch(platform.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) =>
        r.json(),
      );
    await post({ query: 'query Real { models { id } }', operationName: 'alice@example.com says hi' });
    await post({ query: '{ models { id', operationName: 'Unparsed' });
    expect(await post({ query: 'query Listed { models { id } }' })).toMatchObject({ data: { models: expect.any(Array) } });
    const operations = new Set(
      (await scrapeAll(platform)).filter((s) => s.name === 'parley_graphql_operations_total').map((s) => s.labels['operation']),
    );
    expect(operations.has('Listed')).toBe(true);
    expect([...operations].filter((name) => /alice|says|Unparsed/.test(name ?? ''))).toEqual([]);
  });

  it('counts the persisted-query cache’s misses and hits', async () => {
    const query = '{ models { id } }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    const post = (body: object) =>
      fetch(platform.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) =>
        r.json(),
      );
    const lookups = async (result: string) =>
      sampleSum(await scrapeAll(platform), 'parley_cache_lookups_total', { cache: 'persisted_queries', result });
    const [missesBefore, hitsBefore] = [await lookups('miss'), await lookups('hit')];
    expect(await post({ extensions: { persistedQuery } })).toMatchObject({
      errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }],
    });
    expect(await post({ query, extensions: { persistedQuery } })).toMatchObject({ data: { models: expect.any(Array) } });
    expect(await post({ extensions: { persistedQuery } })).toMatchObject({ data: { models: expect.any(Array) } });
    expect((await lookups('miss')) - missesBefore).toBe(1);
    expect((await lookups('hit')) - hitsBefore).toBe(1);
  });

  it('answers /metrics only with the scrape token when METRICS_TOKEN is set', async () => {
    for (const url of Object.values(platform.metricsUrls)) {
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: 'unauthenticated' });
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-of-same-len' } })).status).toBe(401);
    }
  });
});
