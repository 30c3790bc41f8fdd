/**
 * The fan-out benchmark's token source, in its own process as a worker would
 * be: appends one delta to each of the given replies' streams every
 * 1000 / rate ms, its text the send time, through the same Redis message
 * stream log the chat worker writes. Reads the message ids as JSON on stdin;
 * prints "started" and then, on SIGTERM, how many events it appended.
 */
import { createRedisMessageStreamLog } from '@parley/message-stream';
import { createRedisPubSub } from '@parley/pubsub';
import Redis from 'ioredis';

const [redisUrl, namespace, rateText] = process.argv.slice(2) as [string, string, string];
const rate = Number(rateText);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const ids = JSON.parse(input) as string[];
const redis = new Redis(redisUrl, { enableAutoPipelining: true });
const pubsub = await createRedisPubSub({ url: redisUrl, prefix: namespace });
const log = createRedisMessageStreamLog({ redis, pubsub, namespace });
const seq = new Map(ids.map((id) => [id, 0]));
let appended = 0;
let failures = 0;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
console.log('started');
// Each reply gets its tokens on its own phase of the period, as independent streams would.
const period = 1000 / rate;
const start = performance.now();
await Promise.all(
  ids.map(async (id, i) => {
    let next = start + (i / ids.length) * period;
    while (!stopping) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += period;
      const s = seq.get(id)! + 1;
      seq.set(id, s);
      await log
        .append([{ kind: 'delta', messageId: id, seq: s, delta: String(Date.now()) }])
        .then(() => appended++)
        .catch(() => failures++);
    }
  }),
);
console.log(JSON.stringify({ appended, failures }));
await redis.quit();
await pubsub.close();
process.exit(0);
