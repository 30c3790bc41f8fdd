import type { MikroORM } from '@mikro-orm/postgresql';
import { createRedisFallback, type FallbackLogger } from '@parley/pubsub';
import type Redis from 'ioredis';
import { micros, periods, refusal, type BudgetLimits, type Budgets, type Reservation } from './budgets';

/**
 * At most this many settlements wait in a process for Redis to come back
 * (one per reply finished during the outage; a few hundred bytes each). Past
 * it the oldest are dropped, and Redis' totals undercount them until the
 * period ends; PostgreSQL's records, which bills, keeps every one.
 */
export const MAX_SETTLEMENTS_KEPT = 10_000;

/** What a user spent in a UTC day ("2026-12-02") and month ("2026-12"), by their usage records. */
export type RecordedSpending = (userId: string, day: string, month: string) => Promise<{ dayUsd: number; monthUsd: number }>;

/**
 * The usage records in PostgreSQL, read on the primary: a budget must not be checked against a replica that lags.
 * What a user is charged: a record superseded by a later attempt at the same message is not (usage-recorder.ts).
 */
export function recordedSpendingIn(orm: MikroORM): RecordedSpending {
  return async (userId, day, month) => {
    const [spent] = (await orm.em.getConnection('write').execute(
      `select coalesce(sum(cost_usd) filter (where created_at >= ?), 0)::float8 as "dayUsd", coalesce(sum(cost_usd), 0)::float8 as "monthUsd"
         from "models"."usage_record" where user_id = ? and created_at >= ? and superseded_by is null`,
      [new Date(`${day}T00:00:00.000Z`), userId, new Date(`${month}-01T00:00:00.000Z`)],
    )) as { dayUsd: number; monthUsd: number }[];
    return spent!;
  };
}

/**
 * Budgets that stay enforced while Redis is unreachable. Redis' totals are a
 * fast, shared copy of what PostgreSQL's usage records say (the records are
 * what bills); while Redis is away a reservation is checked against the
 * records instead, plus what this process holds for its own replies under way.
 * Paying users keep getting replies during an outage and nobody goes past a
 * budget by more than what other replicas have under way at that moment.
 * Settlements Redis could not take are kept and applied once it is back, so
 * its totals include the outage's spending.
 *
 * Left as it is: a reservation whose reply never came (Redis timed out after
 * taking it) stays held in Redis until its key expires.
 */
export function withRecordedSpendingFallback({
  budgets,
  redis,
  recorded,
  limits,
  now,
  logger,
}: {
  /** The Redis budgets, used whenever Redis answers. */
  budgets: Budgets;
  redis: Redis;
  recorded: RecordedSpending;
  limits: BudgetLimits;
  now: () => Date;
  logger: FallbackLogger;
}): Budgets {
  const fallback = createRedisFallback({ redis, use: 'budgets', fallback: "are checked against PostgreSQL's usage records", logger });
  /** Micro-dollars this process holds without Redis, by user and period. */
  const held = new Map<string, number>();
  const hold = (key: string, amount: number) => {
    const total = (held.get(key) ?? 0) + amount;
    if (total > 0) held.set(key, total);
    else held.delete(key);
  };
  const periodKeys = ({ userId, day, month }: Pick<Reservation, 'userId' | 'day' | 'month'>) => [`${userId}:${day}`, `${userId}:${month}`];

  /** Settlements and releases for Redis, in the order they happened. */
  type Unsent = { reservation: Reservation; actualUsd: number } | { release: { userId: string; usd: number; startedAt: Date } };
  const unsent: Unsent[] = [];
  const apply = (change: Unsent) =>
    'release' in change
      ? budgets.release(change.release.userId, change.release.usd, change.release.startedAt)
      : budgets.settle(change.reservation, change.actualUsd);
  let droppedSince = 0;
  const keep = (change: Unsent) => {
    if (unsent.length >= MAX_SETTLEMENTS_KEPT) {
      unsent.shift();
      if (droppedSince++ === 0)
        logger.warn({ kept: MAX_SETTLEMENTS_KEPT }, 'too many budget settlements waiting for redis; dropping the oldest');
    }
    unsent.push(change);
  };
  let replaying = false;
  const replay = async () => {
    if (replaying) return;
    replaying = true;
    const waiting = unsent.length;
    try {
      while (unsent.length > 0) {
        await apply(unsent[0]!);
        unsent.shift();
      }
      if (waiting > 0) logger.info({ settlements: waiting }, 'budget settlements made while redis was unreachable are applied');
      droppedSince = 0;
    } catch (error) {
      // Redis went away again: the rest waits for its next return.
      logger.warn({ err: error, waiting: unsent.length }, 'budget settlements made while redis was unreachable could not be applied yet');
    } finally {
      replaying = false;
    }
  };
  redis.on('ready', () => void replay());

  async function reserveFromRecords(userId: string, estimateUsd: number): Promise<Reservation> {
    const { day, month } = periods(now());
    const spent = await recorded(userId, day, month);
    // Checked and held with no await between, so two replies of this process cannot both squeeze under a limit.
    const [dayKey, monthKey] = periodKeys({ userId, day, month });
    const amount = micros(estimateUsd);
    if (micros(spent.dayUsd) + (held.get(dayKey!) ?? 0) + amount > micros(limits.dailyUsd)) throw refusal(1, limits);
    if (micros(spent.monthUsd) + (held.get(monthKey!) ?? 0) + amount > micros(limits.monthlyUsd)) throw refusal(2, limits);
    hold(dayKey!, amount);
    hold(monthKey!, amount);
    return { userId, estimateUsd, day, month, heldInProcess: true };
  }

  return {
    reserve: (userId, estimateUsd) =>
      fallback.run(
        () => budgets.reserve(userId, estimateUsd),
        () => reserveFromRecords(userId, estimateUsd),
      ),
    async settle(reservation, actualUsd) {
      let forRedis = reservation;
      if (reservation.heldInProcess) {
        for (const key of periodKeys(reservation)) hold(key, -micros(reservation.estimateUsd));
        // Redis never held this one; it only learns what was spent.
        forRedis = { userId: reservation.userId, day: reservation.day, month: reservation.month, estimateUsd: 0 };
      }
      await fallback.run(
        () => budgets.settle(forRedis, actualUsd),
        () => keep({ reservation: forRedis, actualUsd }),
      );
    },
    // A superseded attempt's charge: the records already leave it out, and Redis learns of it once it is back.
    release: (userId, usd, startedAt) =>
      fallback.run(
        () => budgets.release(userId, usd, startedAt),
        () => keep({ release: { userId, usd, startedAt } }),
      ),
    spent: (userId) =>
      fallback.run(
        () => budgets.spent(userId),
        () => {
          const { day, month } = periods(now());
          return recorded(userId, day, month);
        },
      ),
  };
}
