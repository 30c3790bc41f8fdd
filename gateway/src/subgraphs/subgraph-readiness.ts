import type { ReadinessCheck } from '@parley/runtime';

export interface SubgraphReadinessOptions {
  /** Each subgraph's routing URL, by name; its /readyz is asked beside it. */
  subgraphUrls: Record<string, string>;
  /** A subgraph that has not answered its /readyz by then counts as not ready. */
  probeTimeoutMs?: number;
  /** How long one round of probes stands for every /readyz: a load balancer polling often probes the subgraphs once per this. */
  maxAgeMs?: number;
  now?: () => number;
}

/** Why a subgraph is not ready, from its /readyz answer: its status and the dependencies it names as down. */
async function probe(url: string, timeoutMs: number): Promise<string | null> {
  const response = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (response.ok) return null;
  let down: string[] = [];
  try {
    const report = JSON.parse(text) as { checks?: Record<string, { status?: string }>; draining?: boolean };
    down = Object.entries(report.checks ?? {})
      .filter(([, check]) => check.status === 'down')
      .map(([name]) => `${name} down`);
    if (report.draining) down.push('draining');
  } catch {
    // Not a Parley /readyz: the status says enough.
  }
  return down.length > 0 ? `answered ${response.status} (${down.join(', ')})` : `answered ${response.status}`;
}

/**
 * The gateway's readiness as far as its subgraphs go, from their /readyz
 * (not /healthz: a subgraph whose database is gone is alive but cannot serve).
 *
 * Each subgraph is reported, but one that is not ready leaves the gateway
 * ready, listed in `degraded`: every gateway replica shares the same
 * subgraphs, so a gateway that went unready with one of them would take
 * every replica out of the load balancer at once and turn a partial outage
 * (chat restarting: sign-in and the model list still work) into a total one.
 * The one required check, "subgraphs", fails when no subgraph at all is
 * ready: then this gateway cannot serve anything, and a load balancer should
 * send its traffic elsewhere (when it is the gateway's own path to the
 * subgraphs that is broken, the other replicas may still reach them).
 *
 * One round of probes (`probeTimeoutMs` each, in parallel) answers every check
 * for `maxAgeMs`, so frequent /readyz calls do not become a probe of every
 * subgraph each.
 */
export function subgraphReadiness({
  subgraphUrls,
  probeTimeoutMs = 1_000,
  maxAgeMs = 1_000,
  now = Date.now,
}: SubgraphReadinessOptions): ReadinessCheck[] {
  const names = Object.keys(subgraphUrls);
  let round: { at: number; results: Promise<Map<string, string | null>> } | null = null;

  const current = () => {
    if (!round || now() - round.at >= maxAgeMs) {
      const results = Promise.all(
        names.map(async (name) => {
          try {
            return [name, await probe(subgraphUrls[name]!, probeTimeoutMs)] as const;
          } catch (error) {
            const code = (error as { cause?: { code?: string } }).cause?.code;
            const reason =
              (error as Error).name === 'TimeoutError'
                ? `did not answer /readyz within ${probeTimeoutMs} ms`
                : `cannot be reached (${code ?? (error as Error).message})`;
            return [name, reason] as const;
          }
        }),
      ).then((entries) => new Map(entries));
      round = { at: now(), results };
    }
    return round.results;
  };

  const each: ReadinessCheck[] = names.map((name) => ({
    name,
    address: subgraphUrls[name]!,
    required: false,
    check: async () => {
      const reason = (await current()).get(name);
      if (reason) throw new Error(reason);
    },
  }));
  const any: ReadinessCheck = {
    name: 'subgraphs',
    address: names.join(', '),
    check: async () => {
      const results = await current();
      if (names.length === 0 || names.some((name) => results.get(name) === null)) return;
      const reasons = names.map((name) => `${name}: ${results.get(name)}`).join('; ');
      throw new Error(`no subgraph is ready, so nothing can be served (${reasons})`);
    },
  };
  return [any, ...each];
}
