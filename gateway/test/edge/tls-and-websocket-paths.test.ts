import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, subscribe } from '@parley/testing/subscriptions';
import { startGatewayOverStandIns, startStandInSubgraphs, type StandInSubgraphs } from '../support/stand-in-subgraphs';

/** A throwaway self-signed certificate for 127.0.0.1, made for this run only. */
function selfSignedCertificate(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
}

/** Two gateways over the stand-in subgraphs: one terminating TLS itself, one on plain HTTP as behind a load balancer. */
describe('TLS termination and WebSocket paths', () => {
  let standIns: StandInSubgraphs;
  let tlsUrl: string;
  let plainUrl: string;
  const closers: (() => Promise<void>)[] = [];
  let certificate: { cert: Buffer; key: Buffer };
  let token: string;

  beforeAll(async () => {
    standIns = await startStandInSubgraphs();
    token = await standIns.signIn('tls@example.com');
    certificate = selfSignedCertificate();
    const tls = await startGatewayOverStandIns(standIns, { tls: certificate });
    const plain = await startGatewayOverStandIns(standIns);
    closers.push(tls.close, plain.close);
    tlsUrl = tls.url;
    plainUrl = plain.url;
  });
  /** `{ me { email } }` over a graphql-ws client, which is closed after: the results. */
  const whoAmI = async (client: Client) => {
    try {
      const result = subscribe(client, '{ me { email } }');
      await result.ended;
      return result.results;
    } finally {
      await client.dispose();
    }
  };
  afterAll(async () => {
    for (const close of closers) await close();
    await standIns?.close();
  });

  it('serves GraphQL over HTTPS when given a certificate and key, with Strict-Transport-Security (plain HTTP has none)', async () => {
    expect(tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/graphql$/);
    let hsts: unknown;
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        tlsUrl,
        { method: 'POST', ca: certificate.cert, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
        (res) => {
          hsts = res.headers['strict-transport-security'];
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ query: '{ me { email } }' }));
    });
    expect(JSON.parse(body)).toEqual({ data: { me: { email: 'tls@example.com' } } });
    expect(hsts).toBe('max-age=31536000');
    expect((await fetch(plainUrl.replace('/graphql', '/healthz'))).headers.get('strict-transport-security')).toBeNull();
  });

  it('serves graphql-ws over WSS on the same port', async () => {
    class TrustingWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { ca: certificate.cert });
      }
    }
    const client = createClient({
      url: tlsUrl.replace(/^https/, 'wss'),
      webSocketImpl: TrustingWebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    expect(await whoAmI(client)).toEqual([{ data: { me: { email: 'tls@example.com' } } }]);
  });

  it('accepts graphql-ws on /ws/chat too, for clients written against the seed API, and refuses other paths', async () => {
    const client = connect(plainUrl.replace('/graphql', '/ws/chat'), { token });
    expect(await whoAmI(client)).toEqual([{ data: { me: { email: 'tls@example.com' } } }]);
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(plainUrl.replace(/^http/, 'ws').replace('/graphql', '/somewhere-else'), 'graphql-transport-ws');
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('error', () => resolve(-1));
    });
    expect(refused).toBe(404);
  });
});
