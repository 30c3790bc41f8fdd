/**
 * Where a process's CPU went, from the V8 CPU profiles `PARLEY_PROFILE_DIR` makes each service write when it exits:
 *
 *   npx tsx bench/support/profile-summary.ts /tmp/prof [top=25] [fromUs-toUs]
 *
 * For each process (a folder of the profile directory): its sampled time, then the functions with the most self
 * time, the same time summed by where the code lives (a package in node_modules, a folder of ours, node itself), and
 * the functions of our own code with the most total time (self and callees). A window `fromUs-toUs` keeps only the
 * samples taken in it: V8 stamps samples with the monotonic clock, the clock of `process.hrtime` on Linux, so a driver
 * can profile just its measured load and not the start, the seeding or the exit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [dir, topArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: profile-summary.ts PROFILE_DIR [top]');
const top = Number(topArg ?? 25);
const [from, to] = (process.argv[4] ?? '0-Infinity').split('-').map(Number) as [number, number];
const ourCode = /\/(libs|subgraphs|gateway|platform)\//;

/** Where a function's code lives, coarsely: the package, our folder, or the runtime. */
function home(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/work\/[^/]+\/(.+?)\/src\//.exec(url) ?? /\/((?:libs|subgraphs|gateway|platform)\/[^/]+)\//.exec(url);
  return ours ? ours[1]! : url.replace(/^file:\/\//, '');
}

for (const name of readdirSync(dir).sort()) {
  const folder = join(dir, name);
  if (!statSync(folder).isDirectory()) continue;
  const selfByFunction = new Map<string, number>();
  const selfByHome = new Map<string, number>();
  const totalOfOurs = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(folder, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
    const keyOf = ({ callFrame: { functionName, url, lineNumber } }: ProfileNode) =>
      `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/[^/]+\//, '')}:${lineNumber + 1}`;
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      const us = profile.timeDeltas[i] ?? 0;
      at += us;
      if (at < from || at > to) continue;
      const node = byId.get(profile.samples[i]!)!;
      const { functionName, url } = node.callFrame;
      if (functionName === '(idle)' || functionName === '(program)') continue;
      total += us;
      const key = keyOf(node);
      selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + us);
      const onStack = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const frame = byId.get(id)!;
        if (ourCode.test(frame.callFrame.url)) onStack.add(keyOf(frame));
      }
      for (const k of onStack) totalOfOurs.set(k, (totalOfOurs.get(k) ?? 0) + us);
      const where = functionName === '(garbage collector)' ? '(garbage collector)' : home(url);
      selfByHome.set(where, (selfByHome.get(where) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  console.log(`\n## ${name}: ${(total / 1000).toFixed(0)} ms sampled (not idle)\n`);
  console.log('by where the code lives:');
  for (const [where, us] of [...selfByHome].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(us)}  ${where}`);
  console.log('functions by self time:');
  for (const [key, us] of [...selfByFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${key}`);
  console.log('our functions by total time (self and what they call):');
  for (const [key, us] of [...totalOfOurs].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${key}`);
}
