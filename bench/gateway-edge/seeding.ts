import { RegisterDocument, SendMessageDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import pg from 'pg';

export const USERS = 50;
export const CONVERSATIONS_PER_USER = 10;
export const TURNS_PER_CONVERSATION = 3;

/**
 * The platform's settings for the edge benchmarks: limits high enough that seeding (ten users asking at once) and the
 * measured load (one token per user, thousands of requests a second) are never refused; every check still runs.
 */
export const EDGE_SETTINGS = {
  RATE_LIMIT_PER_USER: '10000000',
  RATE_LIMIT_PER_ADDRESS: '10000000',
  REGISTRATIONS_PER_IP: '100000',
  MAX_GENERATIONS_PER_USER: '50',
  // A run outlasts the default 15 minutes on a slow machine; the tokens are issued once, at seeding.
  ACCESS_TOKEN_TTL_SECONDS: '7200',
};

export interface Seeded {
  /** An access token of each user, in the order of their e-mails (edge-0@…, edge-1@…, …). */
  tokens: string[];
  conversations: number;
  messages: number;
}

/**
 * Registers the users and has each ask its questions through the gateway, ten users at a time, then waits until
 * every reply has finished streaming, so that the reads measured later find every message complete.
 */
export async function seed(
  url: string,
  databaseUrl: string | null,
  progress: (line: string) => void,
  settings: { users?: number } = {},
): Promise<Seeded> {
  const users = settings.users ?? USERS;
  progress(`seeding ${users} users × ${CONVERSATIONS_PER_USER} conversations × ${TURNS_PER_CONVERSATION} turns`);
  const tokens: string[] = new Array<string>(users);
  let nextUser = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (nextUser < users) {
        const u = nextUser++;
        const { body } = await postGraphQL(url, RegisterDocument, {
          variables: { input: { email: `edge-${u}@example.com`, password: 'a long enough passphrase', displayName: `Edge user ${u}` } },
        });
        if (!body.data) throw new Error(`registration failed: ${JSON.stringify(body.errors)}`);
        const token = body.data.register.accessToken;
        tokens[u] = token;
        for (let c = 0; c < CONVERSATIONS_PER_USER; c++) {
          let conversationId: string | undefined;
          for (let t = 0; t < TURNS_PER_CONVERSATION; t++) {
            const input = { content: `user ${u}, conversation ${c}, question ${t}`, ...(conversationId ? { conversationId } : {}) };
            const sent = await postGraphQL(url, SendMessageDocument, { token, variables: { input } });
            if (!sent.body.data) throw new Error(`sendMessage failed: ${JSON.stringify(sent.body.errors)}`);
            conversationId = sent.body.data.sendMessage.conversation.id;
          }
        }
      }
    }),
  );
  const seeded = databaseUrl ? await repliesFinishedIn(databaseUrl) : await repliesFinishedThrough(url, tokens);
  progress(`seeded: ${seeded.c} conversations, ${seeded.n} messages, every reply finished`);
  return { tokens, conversations: seeded.c, messages: seeded.n };
}

/** Waits until PostgreSQL holds no reply still being generated, then counts what is stored. */
async function repliesFinishedIn(databaseUrl: string): Promise<{ c: number; n: number }> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (;;) {
      const { rows } = await db.query(`select count(*)::int as n from "chat"."message" where status in ('PENDING', 'STREAMING')`);
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return (await db.query(`select count(*)::int as n, count(distinct conversation_id)::int as c from "chat"."message"`)).rows[0];
  } finally {
    await db.end();
  }
}

/** The same through the gateway, for a platform whose database is out of reach (embedded): each user's pages. */
async function repliesFinishedThrough(url: string, tokens: string[]): Promise<{ c: number; n: number }> {
  const query = `{ conversations(first: ${CONVERSATIONS_PER_USER}) { edges { node { messages(first: 50) { edges { node { status } } } } } } }`;
  for (;;) {
    let conversations = 0;
    let messages = 0;
    let unfinished = 0;
    for (const token of tokens) {
      const { body } = await postGraphQL<{ conversations: { edges: { node: { messages: { edges: { node: { status: string } }[] } } }[] } }>(
        url,
        query,
        { token },
      );
      if (!body.data) throw new Error(`reading the seeded conversations failed: ${JSON.stringify(body.errors)}`);
      for (const { node } of body.data.conversations.edges) {
        conversations++;
        messages += node.messages.edges.length;
        unfinished += node.messages.edges.filter((e) => e.node.status === 'PENDING' || e.node.status === 'STREAMING').length;
      }
    }
    if (unfinished === 0) return { c: conversations, n: messages };
    await new Promise((r) => setTimeout(r, 200));
  }
}
