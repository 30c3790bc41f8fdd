import { describe, expect, it } from 'vitest';
import { inProcessSubgraphHttp, type InProcessSubgraph } from '../../src/subgraphs/in-process-subgraphs';
import type { SubgraphHttp } from '../../src/subgraphs/subgraph-http';

const local = 'http://127.0.0.1:4001/graphql';
const remote = 'http://10.0.0.7:4002/graphql';

/** Records what reached it; answers as a subgraph would. */
function recording() {
  const asked: { url: string; body: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const subgraph: InProcessSubgraph = {
    answer: async (body, headers) => {
      asked.push({ url: local, body, headers });
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"data":{"ok":true}}' };
    },
  };
  const fallback: SubgraphHttp = {
    post: async (url, headers, body) => {
      asked.push({ url, body, headers });
      return { status: 200, statusText: 'OK', headers: {}, body: '{"data":{"remote":true}}' };
    },
    close: () => {},
  };
  return { asked, http: inProcessSubgraphHttp({ [local]: subgraph }, fallback) };
}

describe('subgraphs asked in-process', () => {
  it('hands a request for a subgraph of this process to it with the same body and headers, and any other to HTTP', async () => {
    const { asked, http } = recording();
    const headers = { authorization: 'Bearer t', 'x-request-id': 'r1' };
    const mine = await http.post(local, headers, '{"query":"{ ok }"}', AbortSignal.timeout(1000));
    expect(mine).toEqual({ status: 200, statusText: 'OK', headers: { 'content-type': 'application/json' }, body: '{"data":{"ok":true}}' });
    expect((await http.post(remote, headers, '{"query":"{ remote }"}', AbortSignal.timeout(1000))).body).toBe('{"data":{"remote":true}}');
    expect(asked).toEqual([
      { url: local, body: '{"query":"{ ok }"}', headers },
      { url: remote, body: '{"query":"{ remote }"}', headers },
    ]);
  });

  it('abandons an answer that does not come before the gateway gives up, as it abandons an HTTP one', async () => {
    const never: InProcessSubgraph = { answer: () => new Promise(() => {}) };
    const http = inProcessSubgraphHttp({ [local]: never }, recording().http);
    const giveUp = new AbortController();
    const pending = http.post(local, {}, '{}', giveUp.signal);
    giveUp.abort(new Error('the gateway gave up'));
    await expect(pending).rejects.toThrow('the gateway gave up');
    await expect(http.post(local, {}, '{}', giveUp.signal)).rejects.toThrow('the gateway gave up');
  });
});
