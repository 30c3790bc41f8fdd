import { createServer, type Server } from 'node:http';
import { fetchStartingServiceOnRefusal, freePort } from '@parley/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { internalCredential } from '@parley/runtime';
import { createUserPreferences } from '../src/user-preferences';

const userId = '7d4c2f0e-0000-4000-8000-000000000002';
const credential = internalCredential('user-preferences-internal-token-0123456789');

describe("a user's reply preferences, read from the users service", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** A users service on `port` whose `me` is this user, with a default model and replies translated to French. */
  const startUsersOn = async (port: number) => {
    const server = createServer((req, res) => {
      req.resume().on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            data: { me: { id: userId, settings: { defaultModel: 'dev/echo', autoTranslate: true, preferredLanguage: 'fr' } } },
          }),
        );
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  };

  it("waits for a users service that refuses connections while it restarts instead of falling back to the platform's defaults", async () => {
    const port = await freePort();
    // The service comes back once the client has been refused.
    const late = fetchStartingServiceOnRefusal(() => startUsersOn(port));
    const errors: unknown[] = [];
    const preferences = createUserPreferences({
      usersUrl: `http://127.0.0.1:${port}`,
      credential,
      onError: (error) => errors.push(error),
      fetch: late.fetch,
    });
    expect(await preferences.of(userId, 'Bearer t')).toEqual({ defaultModel: 'dev/echo', translateTo: 'fr' });
    expect(late.refused()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it("goes on with the platform's defaults when users cannot be reached within the bound", async () => {
    const errors: unknown[] = [];
    const preferences = createUserPreferences({
      usersUrl: `http://127.0.0.1:${await freePort()}`,
      credential,
      onError: (error) => errors.push(error),
    });
    expect(await preferences.of(userId, 'Bearer t')).toEqual({ defaultModel: null, translateTo: null });
    expect(errors).toHaveLength(1);
  });
});
