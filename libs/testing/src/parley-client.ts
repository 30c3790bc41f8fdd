import {
  MessageStateDocument,
  RegisterDocument,
  SendMessageDocument,
  type MessageStateQuery,
  type MessageStatus,
  type SendMessageInput,
  type SendMessageMutation,
} from '@parley/client';
import { expect } from 'vitest';
import { postGraphQL, type GraphQLResponse } from './graphql-client';

/**
 * What a person does with Parley through the gateway's GraphQL API, in the
 * client's own typed operations: signing up, sending a message, waiting for
 * the reply. Every suite that needs a user or a reply takes it from here.
 */

/** The password the suites' users sign up with (long enough, not a common one). */
export const PASSPHRASE = 'a long enough passphrase';

/** What the development models (dev/echo, and dev/slow a word at a time) answer to a question. */
export const echoReply = (question: string) => `Echo: ${question}`;

/** A question of `n` words (`tag0 tag1 …`): the slow model streams one word per tick, so `n` sets how long its reply lasts. */
export const questionOfWords = (n: number, tag = 'word') => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');

/** A signed-up user: who they are and the tokens registering signed them in with. */
export interface RegisteredUser {
  id: string;
  email: string;
  displayName: string;
  roles: string[];
  /** The access token (a Bearer credential). */
  token: string;
  refreshToken: string;
  expiresAt: string;
}

/** The reply (or any message) as the graph stores it. */
export type StoredMessage = NonNullable<MessageStateQuery['message']>;
/** What sendMessage answers: the conversation, the stored question and the PENDING reply. */
export type SentMessage = SendMessageMutation['sendMessage'];

/**
 * Signs a new account up (which signs it in), and expects that to succeed.
 * `headers` and `localAddress` make it come from a given device or machine.
 */
export async function registerUser(
  url: string,
  email: string,
  { password = PASSPHRASE, headers, localAddress }: { password?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<RegisteredUser> {
  const { body } = await postGraphQL(url, RegisterDocument, {
    variables: { input: { email, password } },
    ...(headers ? { headers } : {}),
    ...(localAddress ? { localAddress } : {}),
  });
  expect(body.errors, `registering ${email}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  const { user, accessToken, refreshToken, expiresAt } = body.data!.register;
  return { ...user, token: accessToken, refreshToken, expiresAt };
}

/** Tries to send a message: what the API answers, accepted or refused. */
export function trySendMessage(url: string, token: string, input: SendMessageInput): Promise<GraphQLResponse<SendMessageMutation>> {
  return postGraphQL(url, SendMessageDocument, { token, variables: { input } });
}

/** Sends a message and expects it accepted: the conversation, the stored question and the reply, not generated yet. */
export async function sendMessage(url: string, token: string, input: SendMessageInput): Promise<SentMessage> {
  const { body } = await trySendMessage(url, token, input);
  expect(body.errors).toBeUndefined();
  return body.data!.sendMessage;
}

/** Reads a message the user can see, as the graph stores it now. */
export async function storedMessage(url: string, token: string, id: string): Promise<StoredMessage> {
  const { body } = await postGraphQL(url, MessageStateDocument, { token, variables: { id } });
  if (!body.data?.message) throw new Error(`Message ${id} is not there for this user: ${JSON.stringify(body)}`);
  return body.data.message;
}

export interface ReplyWait {
  /** How long the reply may take; 20 s by default. */
  timeout?: number;
  interval?: number;
  /** The status the reply must end with; by default any end (COMPLETED, FAILED or CANCELLED). */
  status?: MessageStatus;
}

/** Waits until the reply has finished (or ended with `status`), and answers it as stored. */
export async function finishedReply(
  url: string,
  token: string,
  id: string,
  { timeout = 20_000, interval = 50, status }: ReplyWait = {},
): Promise<StoredMessage> {
  const current = async () => (await postGraphQL(url, MessageStateDocument, { token, variables: { id } })).body.data?.message?.status;
  const poll = expect.poll(current, { timeout, interval });
  await (status ? poll.toBe(status) : poll.toMatch(/COMPLETED|FAILED|CANCELLED/));
  return storedMessage(url, token, id);
}

/** Sends a message, expects it accepted, and waits for its reply to finish: what was sent, and the reply. */
export async function sendAndWaitForReply(
  url: string,
  token: string,
  input: SendMessageInput,
  wait: ReplyWait = {},
): Promise<SentMessage & { reply: StoredMessage }> {
  const sent = await sendMessage(url, token, input);
  return { ...sent, reply: await finishedReply(url, token, sent.assistantMessage.id, wait) };
}
