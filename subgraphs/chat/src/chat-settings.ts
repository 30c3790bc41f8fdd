import { parseModerationPolicy } from '@parley/moderation';
import { env, httpServiceSettings, subgraphAdmissionSettings } from '@parley/runtime';
import { z } from 'zod';

const count = (fallback: number, min = 1) => z.coerce.number({ message: 'must be a whole number' }).int().min(min).default(fallback);

/** What the chat service and its worker read from the environment besides the common variables. */
export const chatSettingsSchema = z.object({
  /** The models service, whose OpenAI-compatible /v1 the worker streams replies from. */
  MODELS_URL: env.url(['http:', 'https:'], 'an http(s) URL of the models service').default('http://127.0.0.1:4003'),
  /** The users service, asked for a user's default model when a message names none. */
  USERS_URL: env.url(['http:', 'https:'], 'an http(s) URL of the users service').default('http://127.0.0.1:4001'),
  /** Used when a message names no model. */
  CHAT_DEFAULT_MODEL: z.string().min(1).default('dev/echo'),
  /** Longest message content accepted, in bytes of UTF-8. */
  MAX_MESSAGE_BYTES: count(32 * 1024),
  /** Replies one user may have in generation at once; more are refused with RATE_LIMITED. */
  MAX_GENERATIONS_PER_USER: count(8),
  /** How long cancelGeneration waits for a streaming reply's worker to stop it before closing it itself (the worker may have died). */
  CANCEL_WORKER_GRACE_MS: env.milliseconds(1_500),
  /** "off" leaves the outbox to other replicas (test fixtures, read-only replicas). */
  OUTBOX_RELAY: z.enum(['on', 'off']).default('on'),
  OUTBOX_POLL_MS: env.milliseconds(100),
  /** Replies one worker process streams at once. */
  WORKER_CONCURRENCY: count(256),
  /** Deltas closer together than this leave as one event. */
  STREAM_COALESCE_MS: env.milliseconds(5),
  /** Attempts at a reply (before its first token) before it is dead-lettered and marked FAILED. */
  GENERATION_MAX_ATTEMPTS: count(3),
  GENERATION_RETRY_BASE_MS: env.milliseconds(200),
  /** How long a reply waits for a models service it cannot reach (a restart) before it fails; retried with backoff meanwhile. */
  MODELS_RETRY_BUDGET_MS: env.milliseconds(30_000),
  /** How long the worker keeps retrying an append to the stream log while Redis is unreachable before the reply fails. */
  STREAM_APPEND_RETRY_MS: env.milliseconds(30_000),
  /** Moderation actions per category, e.g. "email=redact,payment_card=block,profanity=allow"; unnamed categories keep their defaults. */
  MODERATION_POLICY: z
    .string()
    .default('')
    .transform((value, context) => {
      try {
        return parseModerationPolicy(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Terms refused wherever they appear (category block_list), comma-separated. */
  MODERATION_BLOCK_LIST: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  /** When set, inputs are also checked by this model's provider moderation endpoint, through the models service. */
  MODERATION_PROVIDER_MODEL: z.string().min(1).optional(),
  MODERATION_TIMEOUT_MS: env.milliseconds(3_000),
  /** MAX_CONCURRENT_REQUESTS, MAX_QUEUED_REQUESTS, MAX_QUEUE_WAIT_MS: the service's admission control (libs/runtime). */
  ...subgraphAdmissionSettings,
  /** BODY_TIMEOUT_MS: how long a request's body may take to arrive (libs/runtime's HTTP shell). */
  ...httpServiceSettings,
});

export type ChatSettings = z.infer<typeof chatSettingsSchema>;
