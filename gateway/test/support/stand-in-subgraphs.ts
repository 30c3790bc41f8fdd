import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCESS_TOKEN_TYPE, createAccessTokenVerifier, createRevokedSessions, type Viewer } from '@parley/auth';
import { composeSupergraph } from '@parley/composition';
import { createInMemoryMessageStreamLog } from '@parley/message-stream';
import { createInMemoryPubSub } from '@parley/pubsub';
import { createSubgraphServer, INTERNAL_CREDENTIAL_HEADER, sendJson, type AdmissionLimits, type ListeningServer } from '@parley/runtime';
import { captureLogs } from '@parley/testing';
import { parse } from 'graphql';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { assembleGateway, type GatewayOptions } from '../../src/gateway';

const ISSUER = 'parley';
const AUDIENCE = 'parley-api';
const sdl = (file: string) => new URL(`./stand-in/${file}`, import.meta.url).pathname;

/** The one conversation every user of the stand-in has: its id, and the one message in it. */
export const STAND_IN_CONVERSATION = { id: 'c0000000-0000-4000-8000-000000000001', title: 'Greeting', message: 'Hello there, gateway.' };
/** The stand-in's one model, as Parley's development model is listed. */
export const STAND_IN_MODEL = {
  id: 'dev/echo',
  provider: 'dev',
  displayName: 'Echo (development model)',
  contextWindow: 32_768,
  inputPricePerMTok: 0,
  outputPricePerMTok: 0,
  healthy: true,
  development: true,
};
const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: 'Chinese (Simplified)' },
  { code: 'zh-TW', name: 'Chinese (Traditional)' },
  { code: 'fr', name: 'French' },
  { code: 'de', name: 'German' },
  { code: 'es', name: 'Spanish' },
  { code: 'ja', name: 'Japanese' },
];

export interface StandInSubgraphs {
  /** Composed from the stand-in SDLs (gateway/test/support/stand-in) as Parley's supergraph is composed. */
  supergraphSdl: string;
  /** Where the gateway reaches each subgraph: a recorder in front of it. */
  subgraphUrls: Record<'parley' | 'translation', string>;
  /** What the gateway presents to the stand-ins (x-parley-internal), as INTERNAL_SERVICE_TOKEN does in a deployment. */
  internalToken: string;
  /** Plays the users service's part for the gateway: its JWKS verifies the tokens `signIn` issues. */
  usersUrl: string;
  /** An access token for a user with this e-mail (the same user each time), signed as the users service signs them. */
  signIn(email: string): Promise<string>;
  /** The body of every GraphQL request each subgraph received, in order (its /readyz and /healthz are not recorded). */
  received: Record<'parley' | 'translation', string[]>;
  /** Each subgraph's faults, for what the gateway does when one is down, dies mid-request or is not ready. */
  subgraphs: Record<'parley' | 'translation', StandInControl>;
  /** With `holdParley`: how many GraphQL requests "parley" holds now, and `release()` to answer them all and hold no more. */
  held: { count(): number; release(): void };
  close(): Promise<void>;
}

export type StandInName = 'parley' | 'translation';

export interface StandInControl {
  /** Stops listening: connections to the subgraph's address are refused, as while it restarts. */
  stop(): Promise<void>;
  /** Listens again on the same address. */
  start(): Promise<void>;
  /** The next `count` GraphQL requests are read (and recorded), then their connection is cut without an answer: a subgraph that dies mid-request. */
  cutNext(count: number): void;
  /** False: its /readyz answers 503 (a dependency of its own is down) while it keeps serving. */
  setReady(ready: boolean): void;
}

/**
 * Two small federated subgraphs over real HTTP, in place of Parley's four, for what the gateway decides on its own:
 * "parley" (me, models, conversations and their messages, a mutation, a subscription field) and "translation"
 * (extending Message, as Parley's does), which can be made to hang. Each is served by the subgraph host Parley's
 * services use, verifying the forwarded token again; a recorder in front of each keeps what it was sent.
 */
export async function startStandInSubgraphs({
  translation = 'answers',
  parleyDelayMs = 0,
  holdParley = false,
  parleyAdmission,
}: {
  /** "hangs": the translation subgraph never answers. */
  translation?: 'answers' | 'hangs';
  /** Each request to "parley" is answered after this long, so that concurrent ones are in flight together. */
  parleyDelayMs?: number;
  /** "parley" holds each GraphQL request inside itself (in its admission slot) until `held.release()`. */
  holdParley?: boolean;
  /** The admission bound of "parley" (the subgraphs' default otherwise). */
  parleyAdmission?: AdmissionLimits;
} = {}): Promise<StandInSubgraphs> {
  const logger = captureLogs('silent').logger;
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const verifier = createAccessTokenVerifier({ keys: createLocalJWKSet(jwks), issuer: ISSUER, audience: AUDIENCE });
  const users = new Map<string, { id: string; email: string }>();
  const idOf = (email: string) => {
    if (!users.has(email)) users.set(email, { id: randomUUID(), email });
    return users.get(email)!.id;
  };
  const byId = (id: string) => [...users.values()].find((u) => u.id === id) ?? null;
  type Context = { viewer: Viewer | null };
  const mine = <T>(viewer: Viewer | null, value: T) => (viewer ? value : null);

  const conversation = { id: STAND_IN_CONVERSATION.id, title: STAND_IN_CONVERSATION.title };
  const message = { id: 'm0000000-0000-4000-8000-000000000001', content: STAND_IN_CONVERSATION.message, conversation };
  const page = <T extends { id: string }>(nodes: T[]) => ({
    edges: nodes.map((node) => ({ cursor: node.id, node })),
    pageInfo: { hasNextPage: false, endCursor: nodes.at(-1)?.id ?? null },
  });

  const ready: Record<StandInName, boolean> = { parley: true, translation: true };
  const readinessOf = (name: StandInName) => [
    {
      name: 'stand-in-dependency',
      address: 'memory',
      check: async () => {
        if (!ready[name]) throw new Error('told to be down by the test');
      },
    },
  ];
  // What the gateway presents to the subgraphs, as INTERNAL_SERVICE_TOKEN in a deployment.
  const internalToken = randomBytes(32).toString('base64');
  const closers: (() => Promise<void>)[] = [];
  let holding = holdParley;
  const holds: (() => void)[] = [];
  const held = {
    count: () => holds.length,
    release() {
      holding = false;
      for (const answer of holds.splice(0)) answer();
    },
  };
  const parley = await createSubgraphServer<Context>({
    name: 'parley',
    typeDefs: parse(readFileSync(sdl('parley.graphql'), 'utf8')),
    resolvers: {
      Query: {
        me: (_root, _args, { viewer }) => (viewer ? byId(viewer.userId) : null),
        models: () => [STAND_IN_MODEL],
        conversations: (_root, _args, { viewer }) => page(viewer ? [conversation] : []),
        conversation: (_root, { id }: { id: string }, { viewer }) => mine(viewer, id === conversation.id ? conversation : null),
      },
      Mutation: {
        updateSettings: (_root, { input }: { input: { autoTranslate?: boolean } }) => ({ autoTranslate: input.autoTranslate ?? false }),
      },
      Conversation: { messages: () => page([message]) },
      Message: { conversation: () => conversation },
    },
    logger,
    verifier,
    internalToken,
    context: async (viewer) => {
      if (holding) await new Promise<void>((answer) => holds.push(answer));
      return { viewer };
    },
    readiness: readinessOf('parley'),
    routes: { '/.well-known/jwks.json': (_req, res) => sendJson(res, 200, jwks) },
    ...(parleyAdmission ? { admission: parleyAdmission } : {}),
  });
  const parleyServer = await parley.listen(0);
  closers.push(parleyServer.close);

  let translationUrl: string | null = null;
  if (translation === 'answers') {
    const translator = await createSubgraphServer<Context>({
      name: 'translation',
      typeDefs: parse(readFileSync(sdl('translation.graphql'), 'utf8')),
      resolvers: {
        Query: {
          supportedLanguages: () => LANGUAGES,
          translate: (_root, { text, to, from }: { text: string; to: string; from?: string }) => ({
            text: `[${to}] ${text}`,
            from: from ?? 'en',
            to,
          }),
        },
        Message: {
          translation: ({ content }: { content: string }, { to }: { to: string }) => ({ text: `[${to}] ${content}`, from: 'en', to }),
        },
      },
      logger,
      verifier,
      internalToken,
      context: (viewer) => ({ viewer }),
      readiness: readinessOf('translation'),
    });
    const translationServer: ListeningServer = await translator.listen(0);
    closers.push(translationServer.close);
    translationUrl = translationServer.url;
  }

  const received = { parley: [] as string[], translation: [] as string[] };
  const parleyRecorder = await startRecorder(parleyServer.url, received.parley, parleyDelayMs);
  const translationRecorder = await startRecorder(translationUrl, received.translation);
  closers.unshift(parleyRecorder.stop, translationRecorder.stop);
  const subgraphUrls = { parley: parleyRecorder.url, translation: translationRecorder.url };
  const { supergraphSdl } = composeSupergraph(
    [
      { name: 'parley', routingUrl: subgraphUrls.parley, schemaFile: sdl('parley.graphql') },
      { name: 'translation', routingUrl: subgraphUrls.translation, schemaFile: sdl('translation.graphql') },
    ],
    subgraphUrls,
  );

  return {
    supergraphSdl,
    subgraphUrls,
    internalToken,
    usersUrl: new URL('/', parleyServer.url).toString(),
    received,
    subgraphs: {
      parley: { ...parleyRecorder, setReady: (value) => void (ready.parley = value) },
      translation: { ...translationRecorder, setReady: (value) => void (ready.translation = value) },
    },
    held,
    signIn: (email) =>
      new SignJWT({ roles: ['user'], sid: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(idOf(email))
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(privateKey),
    async close() {
      held.release();
      for (const close of closers) await close();
    },
  };
}

/**
 * The gateway as every deployment assembles it (tokens verified through the users service's JWKS), over the
 * stand-in subgraphs, on port 0. `protection`, `rateLimiter`, `tls`, `logger`, the gateway's own `readiness` and `webClientDir` as a test needs them.
 */
export async function startGatewayOverStandIns(
  standIns: StandInSubgraphs,
  options: Partial<Pick<GatewayOptions, 'protection' | 'tls' | 'rateLimiter' | 'logger' | 'readiness' | 'webClientDir'>> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const gateway = await assembleGateway({
    supergraphSdl: standIns.supergraphSdl,
    usersUrl: standIns.usersUrl,
    internalToken: standIns.internalToken,
    auth: { issuer: ISSUER, audience: AUDIENCE },
    logger: captureLogs('silent').logger,
    readiness: [],
    messageStreams: createInMemoryMessageStreamLog(),
    // No users service here ends a session.
    revokedSessions: createRevokedSessions({
      pubsub: createInMemoryPubSub(),
      redis: null,
      namespace: '',
      logger: captureLogs('silent').logger,
    }),
    modelsUrl: standIns.usersUrl,
    ...options,
  });
  const listening = await gateway.listen(0);
  return { url: listening.url, close: listening.close };
}

/**
 * Forwards each request to `target` after `delayMs`, or never answers when `target` is null; records each GraphQL
 * body. Health probes pass through unrecorded. It can stop and start listening on its port, and cut requests.
 */
async function startRecorder(
  target: string | null,
  bodies: string[],
  delayMs = 0,
): Promise<{ url: string } & Omit<StandInControl, 'setReady'>> {
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk: Buffer) => (data += chunk.toString()));
      req.on('end', () => resolve(data));
    });
  let toCut = 0;
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/readyz' || req.url === '/healthz') {
      if (target === null) return; // hangs: never answers
      const probe = await fetch(new URL(req.url, target));
      res.writeHead(probe.status, { 'content-type': 'application/json' });
      return void res.end(await probe.text());
    }
    const body = await read(req);
    bodies.push(body);
    if (toCut > 0) {
      toCut--;
      return void req.socket.destroy();
    }
    if (target === null) return; // hangs: never answers
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (req.headers.authorization) headers['authorization'] = req.headers.authorization;
    // Passed on as the gateway sent it: the stand-ins refuse a request without the gateway's credential.
    const credential = req.headers[INTERNAL_CREDENTIAL_HEADER];
    if (typeof credential === 'string') headers[INTERNAL_CREDENTIAL_HEADER] = credential;
    const upstream = await fetch(target, { method: 'POST', headers, body });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(await upstream.text());
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    start: () => listen(port),
    cutNext(count) {
      toCut = count;
    },
  };
}
