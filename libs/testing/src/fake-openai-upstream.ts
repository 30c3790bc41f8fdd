import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the fake answers one request. */
export interface Behaviour {
  /** Answer with this error status instead of a reply. */
  status?: number;
  /** The error's OpenAI `code` with `status` (Parley's models service says `overloaded` when it refuses to start). */
  errorCode?: string;
  retryAfterSeconds?: number;
  /** Wait before sending headers. */
  latencyMs?: number;
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
  tokens?: string[];
  /** Drop the connection after this many tokens (a provider dying mid-reply). */
  disconnectAfterTokens?: number;
  /** Stop sending (but keep the connection) after this many tokens. */
  stallAfterTokens?: number;
  /** Send the final usage chunk (OpenAI does when asked); off simulates providers that omit usage. */
  reportUsage?: boolean;
  promptTokens?: number;
  /**
   * Awaited just before the first token leaves (after the delays above): a test
   * holds the reply until it has seen what it needs to see, or moves the
   * service's clock as if the first token had taken that long.
   */
  beforeFirstToken?: () => unknown;
}

export interface RecordedRequest {
  body: { model: string; messages: { role: string; content: string }[]; stream?: boolean; [key: string]: unknown };
  authorization: string | undefined;
  /** True when the client went away before the reply finished. */
  aborted: boolean;
}

/** How the fake's `/moderations` endpoint answers. */
export interface ModerationBehaviour {
  /** A text containing one of these words (ignoring case) is flagged as "harassment"; nothing else is flagged. */
  flagWords?: string[];
  /** Answer with this error status instead of a verdict. */
  status?: number;
  /** Wait before answering (a slow provider, for timeouts). */
  latencyMs?: number;
}

export interface RecordedModerationRequest {
  body: { model?: string; input: string | string[]; [key: string]: unknown };
  authorization: string | undefined;
}

/** The categories of OpenAI's moderation answers. */
const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
];

/**
 * An OpenAI-compatible provider over real HTTP and SSE, for tests: the real
 * `openai` SDK inside the models service talks to it exactly as to OpenAI.
 * Behaviours are queued per request; the default applies when the queue is empty.
 * `/moderations` answers as `moderation` (and `setModeration`) say; its requests
 * are recorded apart from the chat requests (`moderationRequests()`).
 */
export async function startFakeUpstream(
  defaults: Behaviour = {},
  moderation: ModerationBehaviour = {},
): Promise<{
  baseUrl: string;
  requests: RecordedRequest[];
  chatRequests(): RecordedRequest[];
  moderationRequests(): RecordedModerationRequest[];
  queue(...behaviours: Behaviour[]): void;
  setDefault(behaviour: Behaviour): void;
  /** Changes how later /moderations requests are answered (merged into the current behaviour). */
  setModeration(behaviour: ModerationBehaviour): void;
  /** /v1/models answers this status (health checks). */
  setHealth(status: number): void;
  close(): Promise<void>;
}> {
  const requests: RecordedRequest[] = [];
  const moderationRequests: RecordedModerationRequest[] = [];
  let moderationBehaviour: ModerationBehaviour = { ...moderation };
  const queued: Behaviour[] = [];
  let fallback: Behaviour = { tokens: ['Hello', ' from', ' upstream'], reportUsage: true, ...defaults };
  let healthStatus = 200;
  const sockets = new Set<Socket>();

  const server: Server = createServer(async (req, res) => {
    if (req.url?.endsWith('/moderations')) {
      const body = JSON.parse(await read(req)) as RecordedModerationRequest['body'];
      moderationRequests.push({ body, authorization: req.headers.authorization });
      const m = moderationBehaviour;
      // A caller that gave up (a timeout, an abort) ends the wait.
      const left = new AbortController();
      res.on('close', () => res.writableFinished || left.abort());
      await sleep(m.latencyMs ?? 0, undefined, { signal: left.signal }).catch(() => undefined);
      if (left.signal.aborted) return;
      if (m.status) {
        res.writeHead(m.status, { 'content-type': 'application/json' });
        return void res.end(
          JSON.stringify({ error: { message: `fake upstream says ${m.status}`, type: 'server_error', param: null, code: null } }),
        );
      }
      const words = (m.flagWords ?? []).map((w) => w.toLowerCase());
      const results = (Array.isArray(body.input) ? body.input : [body.input]).map((text) => {
        const flagged = words.some((w) => String(text).toLowerCase().includes(w));
        const category = (name: string) => flagged && name === 'harassment';
        return {
          flagged,
          categories: Object.fromEntries(MODERATION_CATEGORIES.map((name) => [name, category(name)])),
          category_scores: Object.fromEntries(MODERATION_CATEGORIES.map((name) => [name, category(name) ? 0.97 : 0.01])),
          category_applied_input_types: Object.fromEntries(MODERATION_CATEGORIES.map((name) => [name, ['text']])),
        };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ id: 'modr-fake', model: body.model ?? 'omni-moderation-latest', results }));
    }
    if (req.url?.endsWith('/models')) {
      res.writeHead(healthStatus, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({ object: 'list', data: [{ id: 'upstream-model', object: 'model', created: 0, owned_by: 'fake' }] }),
      );
    }
    const body = JSON.parse(await read(req)) as RecordedRequest['body'];
    const record: RecordedRequest = { body, authorization: req.headers.authorization, aborted: false };
    requests.push(record);
    // Whatever the fake is waiting for ends when its client goes away: nothing is left pending after a test.
    const left = new AbortController();
    res.on('close', () => {
      if (res.writableFinished) return;
      record.aborted = true;
      left.abort();
    });
    const pause = (ms = 0) => sleep(ms, undefined, { signal: left.signal }).catch(() => undefined);
    const beforeFirstToken = async (b: Behaviour) => {
      if (!b.beforeFirstToken) return;
      const gone = new Promise((resolve) => left.signal.addEventListener('abort', resolve, { once: true }));
      await Promise.race([b.beforeFirstToken(), gone]);
    };
    const b = { ...fallback, ...(queued.shift() ?? {}) };
    await pause(b.latencyMs);
    if (record.aborted) return;
    if (b.status) {
      res.writeHead(b.status, {
        'content-type': 'application/json',
        ...(b.retryAfterSeconds !== undefined ? { 'retry-after': String(b.retryAfterSeconds) } : {}),
      });
      return void res.end(
        JSON.stringify({
          error: { message: `fake upstream says ${b.status}`, type: 'server_error', param: null, code: b.errorCode ?? null },
        }),
      );
    }
    const tokens = b.tokens ?? [];
    const usage = {
      prompt_tokens: b.promptTokens ?? 11,
      completion_tokens: tokens.length,
      total_tokens: (b.promptTokens ?? 11) + tokens.length,
    };
    const base = { id: 'chatcmpl-fake', created: 0, model: body.model };
    if (!body.stream) {
      await pause(b.firstTokenDelayMs);
      await beforeFirstToken(b);
      if (record.aborted) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: 'stop' }],
          ...(b.reportUsage ? { usage } : {}),
        }),
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
    await pause(b.firstTokenDelayMs);
    await beforeFirstToken(b);
    if (record.aborted) return;
    send({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    for (let i = 0; i < tokens.length; i++) {
      if (b.disconnectAfterTokens === i) {
        // Let what was written reach the client, then die without finishing the reply.
        await pause(30);
        return void res.socket?.destroy();
      }
      if (b.stallAfterTokens === i) return; // never answers again
      if (i > 0) await pause(b.tokenDelayMs);
      if (record.aborted) return;
      send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: tokens[i] }, finish_reason: null }] });
    }
    send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    const wantsUsage = (body['stream_options'] as { include_usage?: boolean } | undefined)?.include_usage;
    if (b.reportUsage && wantsUsage) send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    res.end('data: [DONE]\n\n');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests,
    moderationRequests: () => moderationRequests,
    queue: (...behaviours) => queued.push(...behaviours),
    setDefault: (behaviour) => (fallback = { ...fallback, ...behaviour }),
    setModeration: (behaviour) => (moderationBehaviour = { ...moderationBehaviour, ...behaviour }),
    setHealth: (status) => (healthStatus = status),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => resolve(text));
  });
}
