import DataLoader from 'dataloader';
import type { ConversationHistory } from './conversation-history';
import type { Conversation } from './entities/conversation';
import type { Message } from './entities/message';

export interface ChatLoaders {
  conversation: DataLoader<string, Conversation | null>;
  message: DataLoader<string, Message | null>;
  /** A message's alternatives (same parent, same role), itself included. */
  siblings: DataLoader<string, Message[]>;
  /** First page of messages per conversation; keyed by "size:conversationId" so different page sizes batch apart. */
  firstMessages: DataLoader<string, Message[]>;
}

/** Per-request loaders, all scoped to the viewer: another user's rows never load. */
export function createChatLoaders(history: ConversationHistory, ownerId: string): ChatLoaders {
  return {
    conversation: new DataLoader(async (ids) => {
      const byId = new Map((await history.findOwned(ids, ownerId)).map((c) => [c.id, c]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    message: new DataLoader(async (ids) => {
      const byId = new Map((await history.findOwnedMessages(ids, ownerId)).map((m) => [m.id, m]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    siblings: new DataLoader(async (ids) => {
      const byMessage = await history.siblingsOf(ids, ownerId);
      return ids.map((id) => byMessage.get(id) ?? []);
    }),
    firstMessages: new DataLoader(async (keys) => {
      const bySize = new Map<number, string[]>();
      for (const key of keys) {
        const [size, id] = key.split(':') as [string, string];
        bySize.set(Number(size), [...(bySize.get(Number(size)) ?? []), id]);
      }
      const results = new Map<string, Message[]>();
      for (const [size, ids] of bySize) {
        for (const [id, messages] of await history.firstMessages(ids, size)) results.set(`${size}:${id}`, messages);
      }
      return keys.map((key) => results.get(key) ?? []);
    }),
  };
}
