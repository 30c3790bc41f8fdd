import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError } from '@parley/errors';

export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

const MAX_DAYS = 366;
const MAX_USERS = 100;

/** Whose usage a report covers, and when: what its lazily resolved parts (by deployment, by user) query again. */
export interface ReportScope {
  userId: string | null;
  from: Date;
  to: Date;
}

/** A user's line of a report; their budget is resolved beside it. */
export interface UserUsage {
  userId: string;
  requests: number;
  costUsd: number;
}

export interface UsageReportResult extends UsageTotals {
  from: Date;
  to: Date;
  byModel: (UsageTotals & { model: string })[];
  byDay: { day: string; requests: number; costUsd: number }[];
  scope: ReportScope;
}

/** What every part of a report filters by: the period, charged records only, and the user when there is one. */
function filterOf({ userId, from, to }: ReportScope) {
  return {
    where: `created_at >= ? and created_at < ? and superseded_by is null${userId ? ' and user_id = ?' : ''}`,
    params: userId ? [from, to, userId] : [from, to],
  };
}

const SUM = `count(*)::int as requests, coalesce(sum(prompt_tokens), 0)::int as "promptTokens",
             coalesce(sum(completion_tokens), 0)::int as "completionTokens", coalesce(sum(cost_usd), 0)::float8 as "costUsd"`;

/**
 * Usage over a period, by model and by UTC day, for one user or (admins) everyone: what users were charged, so
 * an attempt a later one superseded (a reply resumed after its worker died) is left out — the usage_record table
 * keeps it, with its tokens and cost, for what the providers billed.
 */
export function createUsageReports({ em }: { em: EntityManager }) {
  return {
    async report(scope: ReportScope): Promise<UsageReportResult> {
      const { from, to } = scope;
      if (!(from < to)) throw new BadUserInputError('"from" must be before "to".', { field: 'from' });
      if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000)
        throw new BadUserInputError(`A report covers at most ${MAX_DAYS} days.`, { field: 'from' });
      const { where, params } = filterOf(scope);
      const sum = SUM;
      const connection = em.getConnection('read');
      const [totals] = (await connection.execute(`select ${sum} from "models"."usage_record" where ${where}`, params)) as UsageTotals[];
      const byModel = (await connection.execute(
        `select model, ${sum} from "models"."usage_record" where ${where} group by model order by "costUsd" desc, model`,
        params,
      )) as (UsageTotals & { model: string })[];
      const byDay = (await connection.execute(
        `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as requests, coalesce(sum(cost_usd), 0)::float8 as "costUsd"
         from "models"."usage_record" where ${where} group by 1 order by 1`,
        params,
      )) as { day: string; requests: number; costUsd: number }[];
      return { from, to, ...totals!, byModel, byDay, scope };
    },

    /** Spend by deployment in the report's scope, highest first. */
    async byDeployment(scope: ReportScope) {
      const { where, params } = filterOf(scope);
      return (await em
        .getConnection('read')
        .execute(
          `select deployment, model, ${SUM} from "models"."usage_record" where ${where} group by deployment, model order by "costUsd" desc, deployment`,
          params,
        )) as (UsageTotals & { deployment: string; model: string })[];
    },

    /** The `first` users who spent most in the report's scope, highest first. */
    async byUser(scope: ReportScope, first: number): Promise<UserUsage[]> {
      if (!Number.isInteger(first) || first < 1 || first > MAX_USERS) {
        throw new BadUserInputError(`"first" must be a whole number from 1 to ${MAX_USERS}.`, { field: 'first' });
      }
      const { where, params } = filterOf(scope);
      return (await em.getConnection('read').execute(
        `select user_id as "userId", count(*)::int as requests, coalesce(sum(cost_usd), 0)::float8 as "costUsd"
         from "models"."usage_record" where ${where} group by user_id order by "costUsd" desc, user_id limit ?`,
        [...params, first],
      )) as UserUsage[];
    },

    /** Usage of each message (its charged attempt: a later one supersedes the earlier), for the viewer's messages only; one query. */
    async forMessages(messageIds: readonly string[], userId: string) {
      const valid = messageIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
      if (valid.length === 0) return new Map<string, UsageTotals & { model: string }>();
      const rows = (await em.getConnection('read').execute(
        `select message_id as "messageId", (array_agg(model order by created_at desc))[1] as model, count(*)::int as requests,
                sum(prompt_tokens)::int as "promptTokens", sum(completion_tokens)::int as "completionTokens", sum(cost_usd)::float8 as "costUsd"
         from "models"."usage_record" where message_id in (${valid.map(() => '?').join(', ')}) and user_id = ? and superseded_by is null
         group by message_id`,
        [...valid, userId],
      )) as (UsageTotals & { model: string; messageId: string })[];
      return new Map(rows.map((r) => [r.messageId, r]));
    },
  };
}
