import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError, UnauthenticatedError } from '@parley/errors';
import type { Clock } from '@parley/runtime';
import { RefreshToken, Session } from './entities/session';

export interface SessionPolicy {
  idleDays: number;
  maxDays: number;
}

/** Where an ended session's access tokens are ended too, in every process (the host's `RevokedSessions`). */
export interface SessionRevocations {
  /** Never rejects: the session ended already, whatever becomes of the word. */
  revoke(sessionIds: readonly string[]): Promise<void>;
}

export interface IssuedRefreshToken {
  refreshToken: string;
  sessionId: string;
  userId: string;
}

const DAY = 86_400_000;
const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Sessions with rotating refresh tokens (OAuth 2.0 Security BCP, RFC 9700):
 * a refresh token works once; presenting a used one means it was copied, so
 * the whole session (token family) ends for everyone holding any of its tokens.
 * A session that ends takes its access tokens with it (`revocations`), once
 * the end is committed: they carry its id (`sid`), and every door refuses them.
 */
export function createSessions({
  em,
  clock,
  policy,
  revocations,
}: {
  em: EntityManager;
  clock: Clock;
  policy: SessionPolicy;
  revocations: SessionRevocations;
}) {
  function newToken(sessionId: string, now: Date): { token: string; row: RefreshToken } {
    const token = `rt_${randomBytes(32).toString('base64url')}`;
    const row = new RefreshToken();
    row.tokenHash = hashToken(token);
    row.sessionId = sessionId;
    row.createdAt = now;
    return { token, row };
  }

  function expired(session: Session, now: Date): boolean {
    return (
      now.getTime() - session.lastUsedAt.getTime() > policy.idleDays * DAY ||
      now.getTime() - session.createdAt.getTime() > policy.maxDays * DAY
    );
  }

  return {
    /** Starts a session for a user who just proved who they are. */
    async start(userId: string, userAgent: string | null): Promise<IssuedRefreshToken> {
      const now = clock.now();
      const session = new Session();
      session.id = randomUUID();
      session.userId = userId;
      session.userAgent = userAgent?.slice(0, 512) ?? null;
      session.createdAt = session.lastUsedAt = now;
      const { token, row } = newToken(session.id, now);
      // Two inserts in order: the token references the session, and the ORM does not know that.
      await em.transactional(async (tx) => {
        await tx.persist(session).flush();
        await tx.persist(row).flush();
      });
      return { refreshToken: token, sessionId: session.id, userId };
    },

    /**
     * Exchanges a refresh token for the next one of its session. `complete` runs inside the same transaction
     * (it issues the access token): if it fails, nothing changes and the client may simply retry with the same
     * refresh token, instead of having its retry taken for reuse.
     */
    async rotate<T>(refreshToken: string, complete: (issued: IssuedRefreshToken, tx: EntityManager) => Promise<T>): Promise<T> {
      type Outcome = { error: string; ended?: string; result?: never } | { error: undefined; result: T };
      const outcome = await em.transactional(async (tx): Promise<Outcome> => {
        const row = await tx.findOne(RefreshToken, { tokenHash: hashToken(refreshToken) }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!row) return { error: 'This refresh token is not valid; sign in again.' };
        const session = await tx.findOneOrFail(Session, { id: row.sessionId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        const now = clock.now();
        if (session.revokedAt) return { error: 'This session has ended; sign in again.' };
        if (row.usedAt) {
          // Reuse: someone else holds a copy. End the session for both.
          session.revokedAt = now;
          session.revokeReason = 'reuse';
          return { error: 'This refresh token was already used, so the session was ended for safety; sign in again.', ended: session.id };
        }
        if (expired(session, now)) {
          session.revokedAt = now;
          session.revokeReason = 'expired';
          return { error: 'This session has expired; sign in again.', ended: session.id };
        }
        row.usedAt = now;
        session.lastUsedAt = now;
        const next = newToken(session.id, now);
        tx.persist(next.row);
        const result = await complete({ refreshToken: next.token, sessionId: session.id, userId: session.userId }, tx);
        return { error: undefined, result };
      });
      // Thrown after the transaction committed, so a revocation for reuse is kept.
      if (outcome.error !== undefined) {
        if (outcome.ended) await revocations.revoke([outcome.ended]);
        throw new UnauthenticatedError(outcome.error);
      }
      return outcome.result;
    },

    /** Ends the session of a refresh token (logout); unknown tokens are ignored, as a logout should never fail. */
    async endByToken(refreshToken: string): Promise<boolean> {
      const row = await em.findOne(RefreshToken, { tokenHash: hashToken(refreshToken) }, { connectionType: 'write' });
      if (!row) return false;
      const ended = await em.nativeUpdate(
        Session,
        { id: row.sessionId, revokedAt: null },
        { revokedAt: clock.now(), revokeReason: 'logout' },
      );
      if (ended > 0) await revocations.revoke([row.sessionId]);
      return ended > 0;
    },

    /** Ends one of the user's own sessions; someone else's is not found. */
    async end(userId: string, sessionId: string): Promise<void> {
      const ended = await em.nativeUpdate(
        Session,
        { id: sessionId, userId, revokedAt: null },
        { revokedAt: clock.now(), revokeReason: 'revoked-by-user' },
      );
      if (ended === 0) throw new NotFoundError(`No active session with id "${sessionId}".`);
      await revocations.revoke([sessionId]);
    },

    /**
     * Ends every session of the user, inside the caller's transaction: returns their ids, which the caller hands to
     * `revocations` once that transaction committed (a revocation of sessions a rollback kept would refuse their
     * tokens, and every token they refresh to, for a quarter of an hour).
     */
    async endAll(userId: string, reason: string): Promise<string[]> {
      const rows = (await em
        .createQueryBuilder(Session)
        .update({ revokedAt: clock.now(), revokeReason: reason })
        .where({ userId, revokedAt: null })
        .returning('id')
        .execute('all')) as unknown as { id: string }[];
      return rows.map((row) => row.id);
    },

    async listActive(userId: string): Promise<Session[]> {
      const now = clock.now();
      const sessions = await em.find(Session, { userId, revokedAt: null }, { orderBy: { lastUsedAt: 'desc' }, connectionType: 'write' });
      return sessions.filter((s) => !expired(s, now));
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

/**
 * How many users used a session (signed in, or refreshed their access token, which a signed-in client does every
 * quarter of an hour) in the last hour and day: the active users an operator watches. Read once per scrape.
 */
export async function activeUserCounts(em: EntityManager, now: Date): Promise<{ hour: number; day: number }> {
  const hourAgo = new Date(now.getTime() - DAY / 24);
  const dayAgo = new Date(now.getTime() - DAY);
  const [row] = (await em.getConnection('read').execute(
    `select count(distinct user_id) filter (where last_used_at > ?)::int as hour, count(distinct user_id)::int as day
     from "users"."session" where last_used_at > ? and revoked_at is null`,
    [hourAgo, dayAgo],
  )) as { hour: number; day: number }[];
  return { hour: row?.hour ?? 0, day: row?.day ?? 0 };
}
