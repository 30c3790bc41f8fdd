import { randomBytes } from 'node:crypto';
import { LoginDocument, RefreshTokenDocument, RegisterDocument } from '@parley/client';
import {
  createManualClock,
  postToSubgraph,
  servicesEnv,
  startSubgraphUnderTest,
  type ManualClock,
  type SubgraphDoor,
  type SubgraphUnderTest,
} from '@parley/testing';
import { usersSubgraph, type UsersService } from '../../src/server';

export const PASSWORD = 'correct horse battery';

export type UsersUnderTest = SubgraphUnderTest<UsersService> & { clock: ManualClock };

/**
 * The users service built by its factory on real PostgreSQL (a fresh database), rate limits in memory, on a clock
 * that moves only when the test moves it. Replicas share the database and the clock.
 */
export async function startUsersUnderTest(settings: Record<string, string> = {}): Promise<UsersUnderTest> {
  const clock = createManualClock();
  const users = await startSubgraphUnderTest(usersSubgraph, {
    databaseServerUrl: servicesEnv().databaseUrl,
    clock,
    settings: { USERS_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), ...settings },
  });
  return { ...users, clock };
}

/** Registers an account at `users` (as the gateway would ask) and returns its first AuthPayload; any refusal fails the test. */
export async function register(users: SubgraphDoor, email: string, userAgent = 'test-agent/1') {
  const { body } = await postToSubgraph(users, RegisterDocument, {
    variables: { input: { email, password: PASSWORD } },
    headers: { 'user-agent': userAgent },
  });
  if (!body.data) throw new Error(`registering ${email} failed: ${JSON.stringify(body.errors)}`);
  return body.data.register;
}

export const login = (users: SubgraphDoor, email: string, password = PASSWORD, userAgent = 'test-agent/1') =>
  postToSubgraph(users, LoginDocument, { variables: { email, password }, headers: { 'user-agent': userAgent } });

export const refresh = (users: SubgraphDoor, refreshToken: string) =>
  postToSubgraph(users, RefreshTokenDocument, { variables: { refreshToken } });
