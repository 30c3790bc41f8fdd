import type { Cache, CacheExchangeOpts } from '@urql/exchange-graphcache';

/**
 * How the normalized cache keys and updates what the client reads. Objects
 * without an id are stored inside their parent; mutations that change lists
 * invalidate those lists, which the screens showing them then read again.
 */
export const cacheConfig: CacheExchangeOpts = {
  keys: {
    PageInfo: () => null,
    ConversationConnection: () => null,
    ConversationEdge: () => null,
    MessageConnection: () => null,
    MessageEdge: () => null,
    MessageFailure: () => null,
    Usage: () => null,
    UsageReport: () => null,
    UsageByModel: () => null,
    UsageByDay: () => null,
    UsageByDeployment: () => null,
    UsageByUser: () => null,
    Budget: () => null,
    UserSettings: () => null,
    Translation: () => null,
    Language: (language) => (language['code'] as string | undefined) ?? null,
    ApiKeyCreated: () => null,
    LinkedIdentity: () => null,
    OidcLoginStart: () => null,
    AuthPayload: () => null,
    ModerationFlagConnection: () => null,
    ModerationFlagEdge: () => null,
    SendMessagePayload: () => null,
  },
  updates: {
    Mutation: {
      sendMessage(result, _args, cache) {
        invalidateField(cache, 'Query', 'conversations');
        invalidateMessagesOf(cache, result);
      },
      regenerateMessage: (result, _args, cache) => invalidateMessagesOf(cache, result),
      editMessage: (result, _args, cache) => invalidateMessagesOf(cache, result),
      selectBranch(result, _args, cache) {
        const id = (result['selectBranch'] as { id?: string } | null)?.id;
        if (id) invalidateField(cache, { __typename: 'Conversation', id }, 'messages');
      },
      deleteConversation(_result, args, cache) {
        cache.invalidate({ __typename: 'Conversation', id: args['id'] as string });
        invalidateField(cache, 'Query', 'conversations');
      },
      createApiKey: (_result, _args, cache) => cache.invalidate('Query', 'me'),
      revokeApiKey: (_result, _args, cache) => cache.invalidate('Query', 'me'),
      revokeSession: (_result, _args, cache) => cache.invalidate('Query', 'me'),
      updateSettings: (_result, _args, cache) => cache.invalidate('Query', 'me'),
    },
  },
};

function invalidateMessagesOf(cache: Cache, result: Record<string, unknown>) {
  const payload = Object.values(result)[0] as { conversation?: { id?: string } } | null;
  const id = payload?.conversation?.id;
  if (id) invalidateField(cache, { __typename: 'Conversation', id }, 'messages');
}

/** A field under every set of arguments it was read with (invalidate without arguments reaches only the argument-less one). */
function invalidateField(cache: Cache, entity: string | { __typename: string; id: string }, fieldName: string) {
  const key = typeof entity === 'string' ? entity : cache.keyOfEntity(entity);
  if (!key) return;
  for (const field of cache.inspectFields(key)) {
    if (field.fieldName === fieldName) cache.invalidate(key, fieldName, field.arguments ?? undefined);
  }
}
