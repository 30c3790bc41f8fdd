import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { staticAssets, type AssetSet, type StaticAssets } from '../../src/explorer/static-assets';

/** A set whose loads are counted and released by hand, so a test decides when a "build" ends. */
function controlledSet(names: string[]) {
  const loads: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const set: AssetSet = {
    names,
    load: () =>
      new Promise((resolve, reject) => {
        loads.push({
          resolve: () => resolve(names.map((name) => ({ name, body: Buffer.from(`/* ${name} #${loads.length} */`) }))),
          reject,
        });
      }),
  };
  return { set, loads };
}

/** Lets pending promise callbacks run, so a load that was going to start has started. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('staticAssets', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const serve = async (assets: StaticAssets) => {
    server = createServer((req, res) => void assets.handler(req, res, {} as never));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('loads a set once for every request that arrives while it loads, and serves it from memory after', async () => {
    const bundles = controlledSet(['app.js', 'app.worker.js']);
    const assets = staticAssets('/assets/', [bundles.set]);
    const origin = await serve(assets);
    const pending = [assets.urls(['app.js']), assets.urls(['app.worker.js']), fetch(`${origin}/assets/app.js`)];
    // Time for the request to reach the handler while the load is still going.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bundles.loads).toHaveLength(1);
    bundles.loads[0]!.resolve();
    const [first, second, res] = await Promise.all(pending);
    expect(first).toEqual({ 'app.js': expect.stringMatching(/^\/assets\/app\.js\?v=[0-9a-f]{16}$/) });
    expect(second).toEqual({ 'app.worker.js': expect.stringMatching(/^\/assets\/app\.worker\.js\?v=[0-9a-f]{16}$/) });
    expect(await (res as Response).text()).toBe('/* app.js #1 */');
    expect((await fetch(new URL((first as Record<string, string>)['app.js']!, origin))).headers.get('cache-control')).toBe(
      'public, max-age=31536000, immutable',
    );
    expect(bundles.loads).toHaveLength(1);
  });

  it('loads only the set a request needs: a page of plain files never waits for a build', async () => {
    const files = controlledSet(['page.css']);
    const bundles = controlledSet(['app.js']);
    const assets = staticAssets('/assets/', [files.set, bundles.set]);
    const urls = assets.urls(['page.css']);
    await settle();
    files.loads[0]!.resolve();
    expect(Object.keys(await urls)).toEqual(['page.css']);
    expect(bundles.loads).toHaveLength(0);

    const origin = await serve(assets);
    expect((await fetch(`${origin}/assets/nothing.js`)).status).toBe(404);
    expect(bundles.loads).toHaveLength(0);
  });

  it('tries a set again after a load fails, rather than remembering the failure', async () => {
    const bundles = controlledSet(['app.js']);
    const assets = staticAssets('/assets/', [bundles.set]);
    const failed = assets.urls(['app.js']);
    await settle();
    bundles.loads[0]!.reject(new Error('esbuild is not installed'));
    await expect(failed).rejects.toThrow('esbuild is not installed');
    const retried = assets.urls(['app.js']);
    await settle();
    expect(bundles.loads).toHaveLength(2);
    bundles.loads[1]!.resolve();
    expect(Object.keys(await retried)).toEqual(['app.js']);
  });

  it('refuses a set that loads other files than it names, and a name in two sets', async () => {
    const wrong: AssetSet = { names: ['app.js'], load: async () => [{ name: 'other.js', body: Buffer.from('') }] };
    await expect(staticAssets('/assets/', [wrong]).urls(['app.js'])).rejects.toThrow(/other\.js loaded where app\.js/);
    expect(() => staticAssets('/assets/', [controlledSet(['a.js']).set, controlledSet(['a.js']).set])).toThrow(/a\.js is in two sets/);
  });
});
