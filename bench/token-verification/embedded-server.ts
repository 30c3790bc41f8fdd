/**
 * The platform under measurement, in its own process so its CPU time can be
 * read apart from the load generator's. Prints one JSON line with the URL and
 * the tokens the load generator may use.
 */
import { startEmbeddedPlatform } from '@parley/platform';
import { createLogger } from '@parley/runtime';

const platform = await startEmbeddedPlatform({ logger: createLogger({ service: 'bench', level: 'warn' }), port: 0 });
const tokens: string[] = [];
for (let i = 0; i < 200; i++) {
  const user = await platform.users.directory().create({ email: `bench-${i}@example.com` });
  tokens.push((await platform.users.tokens.issue({ userId: user.id, roles: user.roles })).token);
}
process.stdout.write(`${JSON.stringify({ url: platform.url, tokens, pid: process.pid })}\n`);
process.on('SIGTERM', () => void platform.stop().then(() => process.exit(0)));
