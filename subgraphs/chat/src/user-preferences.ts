import { retryingFetch, type InternalCredential } from '@parley/runtime';

/** Bound on one read of a user's settings, its retries included: sendMessage waits for it. */
const READ_TIMEOUT_MS = 2_000;

/** The user's settings that shape a reply. */
export interface ReplyPreferences {
  /** The model the user chose, or null (none chosen, or the users service did not answer). */
  defaultModel: string | null;
  /** The user's preferred language when they asked for replies translated (autoTranslate), else null. */
  translateTo: string | null;
}

export interface UserPreferences {
  of(userId: string, authorization: string): Promise<ReplyPreferences>;
}

const NONE: ReplyPreferences = { defaultModel: null, translateTo: null };

/**
 * A user's settings, asked of the users subgraph through the graph (`me {
 * settings { … } }`) with the user's own token and the internal credential
 * (users' /graphql answers Parley's own callers only) — chat never reads users'
 * tables. Kept `ttlMs` per user: a changed setting applies within that time.
 * When users cannot answer, sendMessage goes on with the platform's defaults
 * rather than failing; a users service that refuses connections while it
 * restarts is asked again within the same 2 s first.
 */
export function createUserPreferences({
  usersUrl,
  credential,
  ttlMs = 30_000,
  now = Date.now,
  onError,
  fetch: baseFetch = globalThis.fetch,
}: {
  usersUrl: string;
  /** INTERNAL_SERVICE_TOKEN's, presented with every read. */
  credential: InternalCredential;
  ttlMs?: number;
  now?: () => number;
  onError: (error: unknown) => void;
  /** The HTTP client under the retries (a test's, to watch the attempts). */
  fetch?: typeof globalThis.fetch;
}): UserPreferences {
  const fetch = retryingFetch({ budgetMs: READ_TIMEOUT_MS, fetch: baseFetch });
  const cache = new Map<string, { at: number; preferences: ReplyPreferences }>();
  return {
    async of(userId, authorization) {
      const hit = cache.get(userId);
      if (hit && now() - hit.at < ttlMs) return hit.preferences;
      try {
        const response = await fetch(new URL('/graphql', usersUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization, ...credential.headers },
          body: JSON.stringify({ query: '{ me { id settings { defaultModel autoTranslate preferredLanguage } } }' }),
          signal: AbortSignal.timeout(READ_TIMEOUT_MS),
        });
        const body = (await response.json()) as {
          data?: {
            me: { id: string; settings: { defaultModel: string | null; autoTranslate: boolean; preferredLanguage: string } } | null;
          };
        };
        const me = body.data?.me;
        // Only an answer about this very user counts.
        const preferences =
          me && me.id === userId
            ? { defaultModel: me.settings.defaultModel, translateTo: me.settings.autoTranslate ? me.settings.preferredLanguage : null }
            : NONE;
        if (cache.size > 100_000) cache.clear();
        cache.set(userId, { at: now(), preferences });
        return preferences;
      } catch (error) {
        onError(error);
        return NONE;
      }
    },
  };
}
