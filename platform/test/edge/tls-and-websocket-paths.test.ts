import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegisterDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGatewayOver } from '../support/in-process-gateway';
import { connect, subscribe } from '@parley/testing/subscriptions';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

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

describe('TLS termination and WebSocket paths', () => {
  let platform: PlatformUnderTest;
  let tlsUrl: string;
  let closeGateway: () => Promise<void>;
  let certificate: { cert: Buffer; key: Buffer };
  let token: string;

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    token = (
      await postGraphQL(platform.url, RegisterDocument, {
        variables: { input: { email: 'tls@example.com', password: 'a long enough passphrase' } },
      })
    ).body.data!.register.accessToken;
    certificate = selfSignedCertificate();
    const gateway = await startGatewayOver(platform, { tls: certificate });
    tlsUrl = gateway.url;
    closeGateway = gateway.close;
  }, 120_000);
  afterAll(async () => {
    await closeGateway?.();
    await platform?.stop();
  });

  it('serves GraphQL over HTTPS when given a certificate and key', async () => {
    expect(tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/graphql$/);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        tlsUrl,
        { method: 'POST', ca: certificate.cert, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ query: '{ me { email } }' }));
    });
    expect(JSON.parse(body)).toEqual({ data: { me: { email: 'tls@example.com' } } });
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
    try {
      const result = subscribe(client, '{ me { email } }');
      await result.ended;
      expect(result.results).toEqual([{ data: { me: { email: 'tls@example.com' } } }]);
    } finally {
      await client.dispose();
    }
  });

  it('accepts graphql-ws on /ws/chat too, for clients written against the seed API, and refuses other paths', async () => {
    const client = connect(platform.url.replace('/graphql', '/ws/chat'), { token });
    try {
      const result = subscribe(client, '{ me { email } }');
      await result.ended;
      expect(result.results).toEqual([{ data: { me: { email: 'tls@example.com' } } }]);
    } finally {
      await client.dispose();
    }
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(platform.url.replace(/^http/, 'ws').replace('/graphql', '/somewhere-else'), 'graphql-transport-ws');
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('error', () => resolve(-1));
    });
    expect(refused).toBe(404);
  });
});
