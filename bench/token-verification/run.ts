/**
 * What verifying an access token costs.
 *
 *   npx tsx bench/token-verification/run.ts [seconds-per-run=8] [reps=3]
 *
 * 1. Micro: jose's ES256 jwtVerify with Parley's checks, per call, over 200
 *    different tokens (as many users), after the key is cached.
 * 2. Through the platform: the same query `{ models { id } }` through the
 *    gateway, anonymous (A) and with a valid token (B: the gateway verifies it,
 *    then the models subgraph verifies it again), interleaved A B A B …,
 *    32 keep-alive connections, every body checked. Reports req/s and the
 *    platform process's CPU µs per request (from /proc), medians with min–max.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { createAccessTokenVerifier, createRevokedSessions } from '@parley/auth';
import { createInMemoryPubSub } from '@parley/pubsub';
import { exportJWK, generateKeyPair, SignJWT, createLocalJWKSet } from 'jose';
import { describeMachine } from '../support/machine';
import { closedLoop, median, percentile } from '../support/closed-loop';
import { processCpuMicros } from '../support/process-cpu';
import { createReport, medianRange } from '../support/report';

const seconds = Number(process.argv[2] ?? 8);
const reps = Number(process.argv[3] ?? 3);
const { say, write } = createReport();

say(`# Token verification cost`);
say();
say(`Machine: ${describeMachine()}`);
say(`Command: npx tsx bench/token-verification/run.ts ${seconds} ${reps}  (${new Date().toISOString()})`);
say();

// 1. Micro
{
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const keys = createLocalJWKSet({ keys: [jwk] });
  const tokens = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      new SignJWT({ roles: ['user'], sid: `session-${i}` })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
        .setIssuer('parley')
        .setAudience('parley-api')
        .setSubject(`user-${i}`)
        .setJti(`j-${i}`)
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(privateKey),
    ),
  );
  say(`## 1. One verification (jose ES256 + iss/aud/typ/exp checks), 200 users' tokens, 5 runs of 5,000`);
  say();
  say(`| verifier | µs per verification (median) | min | max | verifications/s per core |`);
  say(`|---|---|---|---|---|`);
  // What every host passes: its set of ended sessions, here with 10,000 of them (none of these users').
  const revokedSessions = createRevokedSessions({ pubsub: createInMemoryPubSub(), redis: null, namespace: '', logger: console });
  await revokedSessions.revoke(
    Array.from({ length: 10_000 }, (_, i) => `ended-${i}`),
    900,
  );
  for (const [name, cacheSize, revoked] of [
    ['no cache (every call verifies the signature)', 0, undefined],
    ['default: verified-token cache', 10_000, undefined],
    ['cache + ended-session check (10,000 ended sessions)', 10_000, revokedSessions],
  ] as const) {
    const verifier = createAccessTokenVerifier({
      keys,
      issuer: 'parley',
      audience: 'parley-api',
      cacheSize,
      ...(revoked && { revokedSessions: revoked }),
    });
    for (let i = 0; i < 2000; i++) await verifier.verify(tokens[i % tokens.length]!);
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const n = 5000;
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await verifier.verify(tokens[i % tokens.length]!);
      runs.push(Number(process.hrtime.bigint() - started) / 1000 / n);
    }
    say(
      `| ${name} | ${median(runs).toFixed(2)} | ${Math.min(...runs).toFixed(2)} | ${Math.max(...runs).toFixed(2)} | ${Math.round(1e6 / median(runs)).toLocaleString('en')} |`,
    );
  }
  say();
}

// 2. Through the platform
const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'embedded-server.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const ready = await new Promise<{ url: string; tokens: string[]; pid: number }>((done) => {
  createInterface({ input: child.stdout! }).once('line', (line) => done(JSON.parse(line)));
});
const query = JSON.stringify({ query: '{ models { id } }' });
const valid = (status: number, text: string) => status === 200 && text.includes('"dev/echo"') && !text.includes('"errors"');
const variants = {
  A: { name: 'anonymous', headers: (): Record<string, string> => ({}) },
  B: {
    name: 'with a token',
    headers: (i: number): Record<string, string> => ({ authorization: `Bearer ${ready.tokens[i % ready.tokens.length]}` }),
  },
};
const results: Record<'A' | 'B', { rps: number; cpu: number; p50: number; p99: number }[]> = { A: [], B: [] };
await closedLoop({ url: ready.url, connections: 32, seconds: 2, body: () => query, headers: variants.B.headers, validate: valid }); // warm-up
for (let r = 0; r < reps; r++) {
  for (const key of ['A', 'B'] as const) {
    const cpuBefore = processCpuMicros(ready.pid);
    const run = await closedLoop({
      url: ready.url,
      connections: 32,
      seconds,
      body: () => query,
      headers: variants[key].headers,
      validate: valid,
    });
    const cpu = processCpuMicros(ready.pid) - cpuBefore;
    if (run.errors > 0) throw new Error(`${run.errors} invalid answers in variant ${key}`);
    results[key].push({
      rps: run.requests / run.seconds,
      cpu: cpu / run.requests,
      p50: percentile(run.latenciesMs, 50),
      p99: percentile(run.latenciesMs, 99),
    });
  }
}
child.kill('SIGTERM');

say(
  `## 2. \`{ models { id } }\` through the gateway (embedded platform, one process), 32 connections, ${reps} × ${seconds} s each, A/B interleaved`,
);
say();
say(`| variant | req/s median (min–max) | platform CPU µs/req median (min–max) | p50 ms | p99 ms |`);
say(`|---|---|---|---|---|`);
for (const key of ['A', 'B'] as const) {
  const rows = results[key];
  const range = (f: (x: (typeof rows)[number]) => number) => medianRange(rows.map(f));
  say(
    `| ${key}: ${variants[key].name} | ${range((x) => x.rps)} | ${range((x) => x.cpu)} | ${median(rows.map((x) => x.p50)).toFixed(1)} | ${median(rows.map((x) => x.p99)).toFixed(1)} |`,
  );
}
const added = median(results.B.map((x) => x.cpu)) - median(results.A.map((x) => x.cpu));
say();
say(
  `With the default verified-token cache (each of 200 users repeats their token), a token adds about ${added.toFixed(0)} µs of platform CPU per request (gateway and subgraph each check it).`,
);
write(resolve(import.meta.dirname, 'RESULTS.md'));
