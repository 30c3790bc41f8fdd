import type { SqlRunner } from '@parley/database';

/** A conversation's title until its first completed reply names it. */
export const NEW_CONVERSATION_TITLE = 'New conversation';

const MAX_TITLE = 60;

/**
 * A title from the conversation's first question: its first line, whitespace
 * collapsed, cut at a word boundary. Cheap and predictable; a model-written
 * title would cost a second completion per conversation.
 */
export function titleFromFirstMessage(content: string): string {
  const line = content.trim().split('\n')[0]!.replace(/\s+/g, ' ').trim();
  if (line.length <= MAX_TITLE) return line || 'Untitled';
  const cut = line.slice(0, MAX_TITLE);
  const space = cut.lastIndexOf(' ');
  return `${(space > 20 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The first reply names a conversation nobody named (or renamed): from its first question. */
export async function nameConversation(sql: SqlRunner, conversationId: string, question: string): Promise<void> {
  await sql.raw(
    `update "chat"."conversation" set title = ?, title_generated = true where id = ? and title_generated = false and title = ?`,
    [titleFromFirstMessage(question), conversationId, NEW_CONVERSATION_TITLE],
  );
}
