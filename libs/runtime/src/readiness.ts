/** One dependency a service needs before it can serve: PostgreSQL, Redis, Kafka, a subgraph. */
export interface ReadinessCheck {
  /** Shown in /readyz and in start-up errors, e.g. "postgres". */
  name: string;
  /** Where it is, without credentials, e.g. "127.0.0.1:5432". */
  address: string;
  /** Resolves when reachable; rejects with the reason. */
  check(): Promise<void>;
  /**
   * False: reported, and listed in `degraded` when down, but the service stays
   * ready without it (the gateway's subgraphs one by one: with one down it still
   * serves the others' fields). Default true.
   */
  required?: boolean;
}

export interface ReadinessReport {
  /** Every required check is up. */
  ready: boolean;
  /** The checks that are not required and are down; present when there are any such checks. */
  degraded?: string[];
  checks: Record<string, { status: 'up' | 'down'; address: string; error?: string; required?: false }>;
}

export async function checkReadiness(checks: ReadinessCheck[], timeoutMs = 2000): Promise<ReadinessReport> {
  const entries = await Promise.all(
    checks.map(async (c) => {
      const optional = c.required === false ? { required: false as const } : {};
      try {
        await withTimeout(c.check(), timeoutMs, `${c.name} did not answer within ${timeoutMs} ms`);
        return [c.name, { status: 'up' as const, address: c.address, ...optional }] as const;
      } catch (error) {
        return [c.name, { status: 'down' as const, address: c.address, error: describe(error), ...optional }] as const;
      }
    }),
  );
  const ready = entries.every(([, r]) => r.status === 'up' || r.required === false);
  const anyOptional = checks.some((c) => c.required === false);
  const degraded = entries.filter(([, r]) => r.status === 'down' && r.required === false).map(([name]) => name);
  return { ready, ...(anyOptional ? { degraded } : {}), checks: Object.fromEntries(entries) };
}

/** Thrown at start when a dependency cannot be reached: names it and where it was looked for. */
export class DependencyUnreachableError extends Error {
  constructor(
    readonly dependency: string,
    readonly address: string,
    reason: string,
  ) {
    super(`Cannot reach ${dependency} at ${address}: ${reason}`);
    this.name = 'DependencyUnreachableError';
  }
}

/** Fails start-up with a clear message if any required dependency is down. */
export async function assertReachable(checks: ReadinessCheck[], timeoutMs = 5000): Promise<void> {
  const report = await checkReadiness(checks, timeoutMs);
  for (const [name, result] of Object.entries(report.checks)) {
    if (result.status === 'down' && result.required !== false) {
      throw new DependencyUnreachableError(name, result.address, result.error ?? 'unknown');
    }
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code} ${error.message}` : error.message || code || error.name;
  }
  return String(error);
}
