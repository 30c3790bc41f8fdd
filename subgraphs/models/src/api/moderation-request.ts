import { z } from 'zod';
import { MAX_CONTENT, MAX_MESSAGES } from './chat-completion-request';

const text = z.string({ message: 'must be a string or an array of strings' }).max(MAX_CONTENT, `must be at most ${MAX_CONTENT} characters`);

/**
 * The text subset of OpenAI's moderation request (no images), within the same
 * limits as chat: each text at most as long as a message, at most as many
 * texts as a conversation has messages. Unknown fields are ignored.
 */
export const moderationRequestSchema = z.object({
  model: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').nullish(),
  /** One text or several; always a list after parsing. */
  input: z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z
      .array(text, { message: 'must be a string or an array of strings' })
      .min(1, 'must contain at least one text')
      .max(MAX_MESSAGES, `must contain at most ${MAX_MESSAGES} texts`),
  ),
});

export type ModerationRequestBody = z.output<typeof moderationRequestSchema>;
