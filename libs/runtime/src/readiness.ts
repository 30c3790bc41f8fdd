/** One dependency a service needs before it can serve: PostgreSQL, Redis, Kafka, a subgraph. */
export interface ReadinessCheck {
  /** Shown in /readyz and in start-up errors, e.g. "postgres". */
  name: string;
  /** Where it is, without credentials, e.g. "127.0.0.1:5432". */
  address: string;
  /** Resolves when reachable; rejects with the reason. */
  check(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { status: 'up' | 'down'; address: string; error?: string }>;
}

export async function checkReadiness(checks: ReadinessCheck[], timeoutMs = 2000): Promise<ReadinessReport> {
  const entries = await Promise.all(
    checks.map(async (c) => {
      try {
        await withTimeout(c.check(), timeoutMs, `${c.name} did not answer within ${timeoutMs} ms`);
        return [c.name, { status: 'up' as const, address: c.address }] as const;
      } catch (error) {
        return [c.name, { status: 'down' as const, address: c.address, error: describe(error) }] as const;
      }
    }),
  );
  return { ready: entries.every(([, r]) => r.status === 'up'), checks: Object.fromEntries(entries) };
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

/** Fails start-up with a clear message if any dependency is down. */
export async function assertReachable(checks: ReadinessCheck[], timeoutMs = 5000): Promise<void> {
  const report = await checkReadiness(checks, timeoutMs);
  for (const [name, result] of Object.entries(report.checks)) {
    if (result.status === 'down') throw new DependencyUnreachableError(name, result.address, result.error ?? 'unknown');
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
