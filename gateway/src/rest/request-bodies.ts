import { z } from 'zod';

/*
 * The request bodies of the REST API. The routes check requests against them
 * and the OpenAPI document describes them from them, so the two cannot drift.
 * Unknown fields are ignored (OpenAI-like clients send more than Parley reads).
 */

export const LoginBody = z.object({
  email: z.string().describe('The e-mail the account was registered with.'),
  password: z.string(),
});

export const RefreshTokenBody = z.object({
  refreshToken: z.string().describe('The newest refresh token; it is rotated on every use.'),
});

export const LogoutBody = z.object({
  refreshToken: z.string().describe('A refresh token of the session to end.'),
});

export const RegisterBody = z.object({
  email: z.string().describe('At most 254 characters; stored trimmed and lower-cased.'),
  password: z.string().describe('10 to 256 characters, neither a common password nor the e-mail address.'),
  displayName: z.string().optional().describe('1–100 printable characters; omitted: the part of the e-mail address before the @.'),
});

export const OidcLoginBody = z.object({
  provider: z.string().describe("The identity provider's id (GraphQL `identityProviders`)."),
  callbackUrl: z
    .string()
    .describe('The whole URL the provider redirected the browser to (the redirectUri of `startOidcLogin`, with its code, state and iss).'),
});

const ChatMessage = z.object({
  role: z.string().describe('"system", "user", "assistant", …: only the last "user" message is read.'),
  content: z.string().nullable().optional(),
});

export const ChatCompletionBody = z.object({
  conversationId: z.string().optional().describe('Continue this conversation; omitted: a new conversation is started.'),
  content: z.string().optional().describe('The message to send. Give either this or `messages`.'),
  messages: z
    .array(ChatMessage)
    .optional()
    .describe(
      'OpenAI-style alternative to `content`: the content of the last "user" message is sent. Earlier messages are not: ' +
        "the conversation's history is Parley's own (continue one with `conversationId`).",
    ),
  model: z.string().optional().describe("A model id (see GraphQL `models`); omitted: the user's default, then the router's choice."),
  clientMessageId: z.string().optional().describe('Idempotency key: the same key twice sends one message and answers the first one.'),
  stream: z.boolean().optional().describe('true: answer with the reply as Server-Sent Events instead of waiting for it.'),
});
export type ChatCompletionBody = z.output<typeof ChatCompletionBody>;

export const ProfileUpdateBody = z.object({
  displayName: z.string().optional(),
});

export const SettingsUpdateBody = z.object({
  preferredLanguage: z.string().optional().describe('BCP 47 tag, e.g. "en", "zh-CN".'),
  defaultModel: z.string().nullable().optional().describe('Model used when a message names none; null clears it.'),
  autoTranslate: z.boolean().optional().describe('Show assistant replies translated into preferredLanguage.'),
});
