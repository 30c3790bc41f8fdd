/** The fake OpenAI-compatible upstream in its own process (prints its base URL). */
import { startFakeUpstream } from '@parley/testing';

const tokensPerReply = Number(process.argv[2] ?? 20);
const tokenDelayMs = Number(process.argv[3] ?? 0);
const fake = await startFakeUpstream({
  tokens: Array.from({ length: tokensPerReply }, (_, i) => ` t${i}`),
  tokenDelayMs,
  reportUsage: true,
});
// Keep no request log: a benchmark sends hundreds of thousands.
setInterval(() => (fake.requests.length = 0), 1000).unref();
process.stdout.write(`${JSON.stringify({ baseUrl: fake.baseUrl, pid: process.pid })}\n`);
