import { BadUserInputError, ContentBlockedError } from '@parley/errors';
import type { ChatMessageRequested } from '@parley/events';
import { describeCategory, type ContentModeration } from '../content-moderation';
import type { ModelDirectory } from '../model-directory';
import type { Reply, ReplyStore } from '../replies/reply-store';
import { fitToContextWindow, type Turn } from './context-window';

export interface Prompt {
  model: string;
  turns: Turn[];
  /** The question, when the reply answers a conversation's first one (the conversation is named after it). */
  firstQuestion: string | null;
}

/**
 * The prompt a reply is generated from: the branch it answers, as many of its
 * newest turns as fit the model's context window, screened. Its refusals (an
 * unknown model, a question too long for the window, a blocked turn) are the
 * user's to fix: they end the reply before any model is called, untried.
 */
export async function promptFor(
  {
    replies,
    models,
    moderation,
    replyReserve = 1_024,
  }: { replies: ReplyStore; models: ModelDirectory; moderation: ContentModeration; replyReserve?: number | undefined },
  request: ChatMessageRequested,
  reply: Reply,
): Promise<Prompt> {
  // An unknown model is BAD_USER_INPUT from the directory itself; a models service that cannot list them is UPSTREAM_UNAVAILABLE, not the user's to fix.
  const model = await models.require(request.model ?? '', request.userId);
  const branch = (await replies.branchOf(reply))
    // Earlier replies count only with something to show: not failed ones, nor empty ones.
    .filter((r) => r.role !== 'ASSISTANT' || ((r.status === 'COMPLETED' || r.status === 'CANCELLED') && r.content !== ''))
    .map((r): Turn => ({ role: r.role.toLowerCase() as Turn['role'], content: r.content }));
  const firstQuestion = branch.length === 1 && branch[0]!.role === 'user' ? branch[0]!.content : null;
  const turns = fitToContextWindow(branch, model.contextWindow, Math.min(replyReserve, model.contextWindow / 4));
  if (!turns) {
    throw new BadUserInputError(
      `The message does not fit the context window of "${model.id}" (${model.contextWindow} tokens). Shorten it.`,
    );
  }
  return { model: model.id, turns: await screenPrompt(moderation, request, turns), firstQuestion };
}

/**
 * The prompt as the model will see it, screened: the new question with every
 * check (provider included), earlier turns with the local rules (they were
 * screened when sent, but the policy may have tightened since). A blocked
 * prompt is never sent to any model.
 */
async function screenPrompt(moderation: ContentModeration, request: ChatMessageRequested, turns: Turn[]): Promise<Turn[]> {
  const lastUser = turns.map((t) => t.role).lastIndexOf('user');
  const screened: Turn[] = [];
  for (const [i, turn] of turns.entries()) {
    if (turn.role !== 'user') {
      screened.push(turn);
      continue;
    }
    const result = i === lastUser ? await moderation.moderator.check(turn.content) : moderation.moderator.checkLocal(turn.content);
    if (result.blocked) {
      await moderation.flags.record([
        {
          userId: request.userId,
          conversationId: request.conversationId,
          messageId: request.userMessageId,
          direction: 'INPUT',
          category: result.blocked.category,
          action: 'block',
        },
      ]);
      throw new ContentBlockedError(
        `No reply: the conversation contains ${describeCategory(result.blocked.category)}, which this service does not accept. Edit the message and ask again.`,
        result.blocked.category,
      );
    }
    screened.push({ ...turn, content: result.text });
  }
  return screened;
}
