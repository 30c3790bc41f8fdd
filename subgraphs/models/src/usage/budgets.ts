import { BudgetExceededError } from '@parley/errors';
import type Redis from 'ioredis';

export interface BudgetLimits {
  dailyUsd: number;
  monthlyUsd: number;
}

export interface Reservation {
  userId: string;
  estimateUsd: number;
  day: string;
  month: string;
  /** Held by this process alone, because Redis was unreachable (`withRecordedSpendingFallback`). */
  heldInProcess?: boolean;
}

export interface Budgets {
  /** Holds `estimateUsd` against the user's day and month, or refuses with BUDGET_EXCEEDED; atomic across replicas. */
  reserve(userId: string, estimateUsd: number): Promise<Reservation>;
  /** Releases the hold and adds what the request really cost. */
  settle(reservation: Reservation, actualUsd: number): Promise<void>;
  /**
   * Takes back `usd` charged for a request that started at `startedAt` (from that day and month), when a later
   * attempt at the same reply supersedes it. Never below zero; a period already over is left alone.
   */
  release(userId: string, usd: number, startedAt: Date): Promise<void>;
  spent(userId: string): Promise<{ dayUsd: number; monthUsd: number }>;
}

// Both periods are checked and held in one script, so two replicas cannot both squeeze under a limit.
// Amounts are kept in micro-dollars (integers) to avoid float drift in Redis.
const RESERVE = `
local day_spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0') + tonumber(redis.call('HGET', KEYS[1], 'held') or '0')
local month_spent = tonumber(redis.call('HGET', KEYS[2], 'spent') or '0') + tonumber(redis.call('HGET', KEYS[2], 'held') or '0')
local amount = tonumber(ARGV[1])
if day_spent + amount > tonumber(ARGV[2]) then return 1 end
if month_spent + amount > tonumber(ARGV[3]) then return 2 end
redis.call('HINCRBY', KEYS[1], 'held', amount)
redis.call('HINCRBY', KEYS[2], 'held', amount)
redis.call('EXPIRE', KEYS[1], 172800)
redis.call('EXPIRE', KEYS[2], 3024000)
return 0
`;
// 0 - n, not -n: Lua writes -0 as "-0", which HINCRBY refuses (a hold of 0 is settled for spending made without Redis).
const SETTLE = `
redis.call('HINCRBY', KEYS[1], 'held', 0 - tonumber(ARGV[1]))
redis.call('HINCRBY', KEYS[2], 'held', 0 - tonumber(ARGV[1]))
redis.call('HINCRBY', KEYS[1], 'spent', tonumber(ARGV[2]))
redis.call('HINCRBY', KEYS[2], 'spent', tonumber(ARGV[2]))
return 0
`;

// A period's hash that has expired (the period is over) is not created again.
const RELEASE = `
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local spent = tonumber(redis.call('HGET', KEYS[i], 'spent') or '0')
    redis.call('HSET', KEYS[i], 'spent', math.max(0, spent - tonumber(ARGV[1])))
  end
end
return 0
`;

export const micros = (usd: number) => Math.ceil(usd * 1_000_000);
export const periods = (now: Date) => ({ day: now.toISOString().slice(0, 10), month: now.toISOString().slice(0, 7) });

/** The refusal of a day's (1) or a month's (2) budget. */
export function refusal(code: number, limits: BudgetLimits): BudgetExceededError {
  return code === 1
    ? new BudgetExceededError(`Your daily budget of $${limits.dailyUsd.toFixed(2)} is used up; it renews at midnight UTC.`, {
        period: 'day',
      })
    : new BudgetExceededError(`Your monthly budget of $${limits.monthlyUsd.toFixed(2)} is used up; it renews on the 1st (UTC).`, {
        period: 'month',
      });
}

/** Per-user daily and monthly spending limits; Redis is the one source of truth across models replicas. */
export function createRedisBudgets({
  redis,
  namespace,
  limits,
  now,
}: {
  redis: Redis;
  namespace: string;
  limits: BudgetLimits;
  now: () => Date;
}): Budgets {
  // Sent by SHA1 (EVALSHA, ioredis loads them on NOSCRIPT) rather than as text with every request.
  redis.defineCommand('parleyReserveBudget', { numberOfKeys: 2, lua: RESERVE });
  redis.defineCommand('parleySettleBudget', { numberOfKeys: 2, lua: SETTLE });
  redis.defineCommand('parleyReleaseBudget', { numberOfKeys: 2, lua: RELEASE });
  const scripts = redis as Redis &
    Record<'parleyReserveBudget' | 'parleySettleBudget' | 'parleyReleaseBudget', (...args: (string | number)[]) => Promise<unknown>>;
  const keys = (userId: string, day: string, month: string) => [
    `${namespace}budget:${userId}:${day}`,
    `${namespace}budget:${userId}:${month}`,
  ];
  return {
    async reserve(userId, estimateUsd) {
      const { day, month } = periods(now());
      const code = Number(
        await scripts.parleyReserveBudget(
          ...keys(userId, day, month),
          micros(estimateUsd),
          micros(limits.dailyUsd),
          micros(limits.monthlyUsd),
        ),
      );
      if (code !== 0) throw refusal(code, limits);
      return { userId, estimateUsd, day, month };
    },
    async settle(reservation, actualUsd) {
      await scripts.parleySettleBudget(
        ...keys(reservation.userId, reservation.day, reservation.month),
        micros(reservation.estimateUsd),
        micros(actualUsd),
      );
    },
    async release(userId, usd, startedAt) {
      const { day, month } = periods(startedAt);
      await scripts.parleyReleaseBudget(...keys(userId, day, month), micros(usd));
    },
    async spent(userId) {
      const { day, month } = periods(now());
      const [dayKey, monthKey] = keys(userId, day, month);
      const [daySpent, monthSpent] = await Promise.all([redis.hget(dayKey!, 'spent'), redis.hget(monthKey!, 'spent')]);
      return { dayUsd: Number(daySpent ?? 0) / 1e6, monthUsd: Number(monthSpent ?? 0) / 1e6 };
    },
  };
}

/** Embedded mode: one process, so the same rules over a Map. */
export function createMemoryBudgets({ limits, now }: { limits: BudgetLimits; now: () => Date }): Budgets {
  const totals = new Map<string, { spent: number; held: number }>();
  const entry = (key: string) => totals.get(key) ?? (totals.set(key, { spent: 0, held: 0 }), totals.get(key)!);
  return {
    async reserve(userId, estimateUsd) {
      const { day, month } = periods(now());
      const d = entry(`${userId}:${day}`);
      const m = entry(`${userId}:${month}`);
      const amount = micros(estimateUsd);
      if (d.spent + d.held + amount > micros(limits.dailyUsd)) throw refusal(1, limits);
      if (m.spent + m.held + amount > micros(limits.monthlyUsd)) throw refusal(2, limits);
      d.held += amount;
      m.held += amount;
      return { userId, estimateUsd, day, month };
    },
    async settle(reservation, actualUsd) {
      for (const key of [`${reservation.userId}:${reservation.day}`, `${reservation.userId}:${reservation.month}`]) {
        const e = entry(key);
        e.held -= micros(reservation.estimateUsd);
        e.spent += micros(actualUsd);
      }
    },
    async release(userId, usd, startedAt) {
      const { day, month } = periods(startedAt);
      for (const key of [`${userId}:${day}`, `${userId}:${month}`]) {
        const e = totals.get(key);
        if (e) e.spent = Math.max(0, e.spent - micros(usd));
      }
    },
    async spent(userId) {
      const { day, month } = periods(now());
      return { dayUsd: entry(`${userId}:${day}`).spent / 1e6, monthUsd: entry(`${userId}:${month}`).spent / 1e6 };
    },
  };
}
