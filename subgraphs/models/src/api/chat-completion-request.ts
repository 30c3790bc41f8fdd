import { z } from 'zod';

export const MAX_MESSAGES = 1_000;
export const MAX_CONTENT = 1_000_000;

/** Text content, as a string or OpenAI's array of text parts. */
const content = z.union([
  z.string().max(MAX_CONTENT, `must be at most ${MAX_CONTENT} characters`),
  z.array(z.object({ type: z.literal('text'), text: z.string() })).transform((parts) => parts.map((p) => p.text).join('')),
]);

/** The subset of OpenAI's chat completion request Parley serves; unknown fields are ignored, as OpenAI does. */
export const chatCompletionRequestSchema = z.object({
  model: z.string({ message: 'you must provide a model parameter' }).min(1, 'you must provide a model parameter'),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'developer', 'user', 'assistant'], {
          message: "must be one of 'system', 'developer', 'user', 'assistant'",
        }),
        content,
      }),
      { message: 'must be an array of messages' },
    )
    .min(1, 'must contain at least one message')
    .max(MAX_MESSAGES, `must contain at most ${MAX_MESSAGES} messages`),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().positive().max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  user: z.string().max(256).optional(),
});

export type ChatCompletionRequestBody = z.output<typeof chatCompletionRequestSchema>;
