export interface UserPreferences {
  /** The model the user chose in their settings, or null (none chosen, or the users service did not answer). */
  defaultModel(userId: string, authorization: string): Promise<string | null>;
}

/**
 * A user's settings, asked of the users subgraph through the graph (`me {
 * settings { defaultModel } }`) with the user's own token — chat never reads
 * users' tables. Kept `ttlMs` per user: a changed default applies within that
 * time. When users cannot answer, sendMessage goes on with the platform's
 * default rather than failing.
 */
export function createUserPreferences({
  usersUrl,
  ttlMs = 30_000,
  now = Date.now,
  onError,
}: {
  usersUrl: string;
  ttlMs?: number;
  now?: () => number;
  onError: (error: unknown) => void;
}): UserPreferences {
  const cache = new Map<string, { at: number; model: string | null }>();
  return {
    async defaultModel(userId, authorization) {
      const hit = cache.get(userId);
      if (hit && now() - hit.at < ttlMs) return hit.model;
      try {
        const response = await fetch(new URL('/graphql', usersUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ query: '{ me { id settings { defaultModel } } }' }),
          signal: AbortSignal.timeout(2_000),
        });
        const body = (await response.json()) as { data?: { me: { id: string; settings: { defaultModel: string | null } } | null } };
        const me = body.data?.me;
        // Only an answer about this very user counts.
        const model = me && me.id === userId ? me.settings.defaultModel : null;
        if (cache.size > 100_000) cache.clear();
        cache.set(userId, { at: now(), model });
        return model;
      } catch (error) {
        onError(error);
        return null;
      }
    },
  };
}
