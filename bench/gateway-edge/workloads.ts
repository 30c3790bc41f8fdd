import { closedLoop } from '../support/closed-loop';
import { openLoop } from '../support/open-loop';
import type { Load } from './measurement';
import { CONVERSATIONS_PER_USER } from './seeding';

export const CONNECTIONS = 50;
export const OPEN_RATE = 1000;
/** The protection layers of gateway-variant.ts, cumulative. */
export const VARIANTS = ['bare', 'limits', 'rate-limit', 'auth'] as const;
export type Variant = (typeof VARIANTS)[number];

/** A gateway under load: where it listens, and its process, whose CPU is its cost. */
export interface Target {
  url: string;
  pid: number;
}

export const ME = 'query Me { me { id email displayName } }';
export const CONVERSATIONS =
  'query Conversations($first: Int!, $messages: Int!) { conversations(first: $first) { edges { node { id title owner { displayName } messages(first: $messages) { edges { node { id role content } } } } } } }';
export const MODELS = 'query Models { models { id displayName } }';
// Request i: user i mod 50 (the 50 requests in flight are 50 different callers), kind i mod 3, for conversations
// 3, 4 or 5 messages each, and operation name i mod 64 (Me_0 … Me_63, …). The gateway sends identical in-flight
// reads of one caller to a subgraph once, and anonymous requests are all one caller: without the names, `{ models }`
// from 50 anonymous connections would mostly be answered by a few shared subgraph requests. With them no two
// requests in flight are identical (a user's body repeats every 4,800 requests).
export const NAMES = 64;
const named = (query: string, n: number) => query.replace(/^query (\w+)/, `query $1_${n}`);
const bodies = Array.from({ length: NAMES }, (_, n) => ({
  me: JSON.stringify({ query: named(ME, n) }),
  models: JSON.stringify({ query: named(MODELS, n) }),
  conversations: [3, 4, 5].map((messages) =>
    JSON.stringify({ query: named(CONVERSATIONS, n), variables: { first: CONVERSATIONS_PER_USER, messages } }),
  ),
}));
const nameOf = (i: number) => bodies[i % NAMES]!;
const meBody = (i: number) => nameOf(i).me;
const modelsBody = (i: number) => nameOf(i).models;
const conversationsBody = (i: number) => nameOf(i).conversations[Math.floor(i / 3) % 3]!;
/** Request i of the mixed workload: me, conversations, models in turn. */
export const mixedBody = (i: number) => [meBody, conversationsBody, modelsBody][i % 3]!(i);
/** The queries of the mix, each measured alone as well. */
export const KINDS = { me: meBody, conversations: conversationsBody, models: modelsBody } as const;
export type Kind = keyof typeof KINDS;
/** Every distinct operation of the mix, and of the layers' workload. */
export const mixedOperations = bodies.flatMap((b) => [b.me, ...b.conversations, b.models]);
export const modelsOperations = bodies.map((b) => b.models);

/**
 * The loads of this benchmark, every answer checked: the mixed reads with the seeded users' tokens, each query of the
 * mix alone, and `{ models }` through the layer variants. `label` names what is being measured now, for the samples
 * of invalid answers.
 */
export function createWorkloads({ tokens, label }: { tokens: string[]; label: () => string }) {
  const authHeaders = tokens.map((token) => ({ authorization: `Bearer ${token}` }));
  const withToken = (i: number) => authHeaders[i % authHeaders.length]!;
  const anonymous = () => ({});
  const headersOf = (variant: Variant) => (variant === 'auth' ? withToken : anonymous);

  /** The first few invalid answers of each measurement, to show in the results. */
  const errorSamples = new Map<string, string[]>();
  /** Every answer parsed and checked; anything else, including a 200 with `errors`, is an error. */
  const checked = (check: (data: any) => boolean) => (status: number, text: string) => {
    let ok: boolean;
    try {
      const body = JSON.parse(text) as { data?: any; errors?: unknown };
      ok = status === 200 && body.errors === undefined && body.data != null && check(body.data);
    } catch {
      ok = false;
    }
    if (!ok) {
      const measuring = label();
      const samples = errorSamples.get(measuring) ?? [];
      if (samples.length < 3) errorSamples.set(measuring, [...samples, `${status}: ${text.trim().slice(0, 300)}`]);
    }
    return ok;
  };
  const isModels = (data: any) =>
    Array.isArray(data.models) &&
    data.models.length > 0 &&
    data.models.every((m: any) => typeof m.id === 'string' && typeof m.displayName === 'string');
  const validMixed = checked((data) => {
    if (data.me !== undefined)
      return typeof data.me?.id === 'string' && typeof data.me.email === 'string' && typeof data.me.displayName === 'string';
    if (data.conversations !== undefined) {
      const edges = data.conversations.edges as any[];
      if (edges.length !== CONVERSATIONS_PER_USER) return false;
      const messages = edges[0].node.messages.edges.length as number;
      const owner = edges[0].node.owner?.displayName as unknown;
      return (
        messages >= 3 &&
        messages <= 5 &&
        typeof owner === 'string' &&
        edges.every(
          (e) =>
            typeof e.node.id === 'string' &&
            typeof e.node.title === 'string' &&
            e.node.owner?.displayName === owner &&
            e.node.messages.edges.length === messages &&
            e.node.messages.edges.every((m: any) => typeof m.node.content === 'string'),
        )
      );
    }
    if (data.models !== undefined) return isModels(data);
    return false;
  });
  const validModels = checked(isModels);

  /** Sends each of `operations` once through `target`, 8 at a time, and throws at the first answer that is not right. */
  const everyOperation = (target: Target, operations: string[], headers: (n: number) => Record<string, string>, name: string) =>
    Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let n = worker; n < operations.length; n += 8) {
          const response = await fetch(target.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers(n) },
            body: operations[n]!,
          });
          const text = await response.text();
          if (!validMixed(response.status, text))
            throw new Error(`${name} answered ${operations[n]} wrongly: ${response.status} ${text.slice(0, 500)}`);
        }
      }),
    );

  return {
    errorSamples,
    /** Whether an answer of the mixed workload is right (a 200 with the data asked for, no errors). */
    validMixed,
    /** Request i's headers: user i mod 50's token. */
    withToken,
    /** Every operation of the mix through a gateway, so that every plan is cached before anything is timed. */
    planMixed: (target: Target, name: string) => everyOperation(target, mixedOperations, withToken, name),
    /** Every `{ models }` operation through a layer variant, as its requests will come. */
    planModels: (target: Target, variant: Variant) => everyOperation(target, modelsOperations, headersOf(variant), variant),
    closedMixed:
      (target: Target, seconds: number): Load =>
      () =>
        closedLoop({ url: target.url, connections: CONNECTIONS, seconds, body: mixedBody, headers: withToken, validate: validMixed }),
    openMixed:
      (target: Target, seconds: number): Load =>
      () =>
        openLoop({ url: target.url, rate: OPEN_RATE, seconds, body: mixedBody, headers: withToken, validate: validMixed }),
    closedKind:
      (target: Target, kind: Kind, seconds: number): Load =>
      () =>
        closedLoop({ url: target.url, connections: CONNECTIONS, seconds, body: KINDS[kind], headers: withToken, validate: validMixed }),
    closedVariant:
      (target: Target, variant: Variant, seconds: number): Load =>
      () =>
        closedLoop({
          url: target.url,
          connections: CONNECTIONS,
          seconds,
          body: modelsBody,
          headers: headersOf(variant),
          validate: validModels,
        }),
  };
}
