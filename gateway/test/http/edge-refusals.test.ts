import { captureLogs } from '@parley/testing';
import { createHttpService, sendJson, type HttpService } from '@parley/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeProtection } from '../../src/http/edge-protection';
import { createMemoryRateLimiter } from '../../src/http/rate-limiter';

/** The edge's own refusals, in each route's error dialect: one request per address, then 429. */
describe('edge refusals in the dialect of the route', () => {
  let http: HttpService;
  let origin: string;

  beforeAll(async () => {
    const edge = createEdgeProtection({
      settings: {
        perUserLimit: 1,
        perAddressLimit: 1,
        windowSeconds: 60,
        corsOrigins: [],
        requestTimeoutMs: 5_000,
        trustedProxies: ['*'],
      },
      rateLimiter: createMemoryRateLimiter({ now: () => 0 }),
      userOf: async () => null,
    });
    const ok = () => (_req: unknown, res: Parameters<typeof sendJson>[0]) => sendJson(res, 200, { ok: true });
    http = createHttpService({
      logger: captureLogs('silent').logger,
      readiness: [],
      routes: {
        '/graphql': edge.wrap('/graphql', ok()),
        '/api/v1/users/profile': edge.wrap('/api/v1/users/profile', ok()),
        '/v1/models': edge.wrap('/v1/models', ok()),
      },
    });
    origin = `http://127.0.0.1:${(await http.listen(0)).port}`;
  });
  afterAll(() => http.close());

  const twice = async (path: string, address: string) => {
    const call = () => fetch(`${origin}${path}`, { headers: { 'x-forwarded-for': address } });
    expect((await call()).status).toBe(200);
    const refused = await call();
    return { status: refused.status, retryAfter: refused.headers.get('retry-after'), body: (await refused.json()) as unknown };
  };

  it('GraphQL: errors[0] with extensions.code RATE_LIMITED and retryAfterSeconds', async () => {
    const { status, retryAfter, body } = await twice('/graphql', '10.1.0.1');
    expect({ status, retryAfter }).toEqual({ status: 429, retryAfter: expect.stringMatching(/^\d+$/) });
    expect(body).toEqual({
      errors: [
        {
          message: expect.stringMatching(/^Too many requests/),
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: Number(retryAfter) },
        },
      ],
    });
  });

  it('REST: error.code RATE_LIMITED with retryAfterSeconds', async () => {
    const { status, retryAfter, body } = await twice('/api/v1/users/profile', '10.1.0.2');
    expect(status).toBe(429);
    expect(body).toEqual({
      error: { code: 'RATE_LIMITED', message: expect.stringMatching(/^Too many requests/), retryAfterSeconds: Number(retryAfter) },
    });
  });

  it('/v1: OpenAI’s rate-limit shape, type rate_limit_error and code rate_limit_exceeded, as models and the relay say it', async () => {
    const { status, retryAfter, body } = await twice('/v1/models', '10.1.0.3');
    expect({ status, retryAfter }).toEqual({ status: 429, retryAfter: expect.stringMatching(/^\d+$/) });
    expect(body).toEqual({
      error: { message: expect.stringMatching(/^Too many requests/), type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
  });
});
