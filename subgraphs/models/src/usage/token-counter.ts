import { countTokens } from 'gpt-tokenizer';
import type { ChatMessage } from '../providers/chat-provider';

/** Tokens a chat message costs beyond its text (role and separators), as OpenAI's chat format counts them. */
const PER_MESSAGE_OVERHEAD = 4;
const REPLY_PRIMING = 3;

/**
 * Token counts for when a provider does not report usage (and for the context
 * window check before any call). o200k BPE: exact for current OpenAI models,
 * a close estimate for others — never zero for a non-empty text.
 */
export function countPromptTokens(messages: ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + PER_MESSAGE_OVERHEAD + countTokens(m.content), REPLY_PRIMING);
}

export function countCompletionTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}
