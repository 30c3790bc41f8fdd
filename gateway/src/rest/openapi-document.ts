import { ErrorCode } from '@parley/errors';
import { z } from 'zod';
import {
  ChatCompletionBody,
  LoginBody,
  LogoutBody,
  OidcLoginBody,
  ProfileUpdateBody,
  RefreshTokenBody,
  RegisterBody,
  SettingsUpdateBody,
} from './request-bodies';
import { MESSAGE_STATUSES } from '@parley/message-stream';
import {
  BROWSER_SESSION_PATH,
  CrossSiteRefusal,
  REFRESH_COOKIE,
  REFRESH_COOKIE_ATTRIBUTES,
  REFRESH_COOKIE_MAX_AGE_SECONDS,
  WEB_CLIENT_HEADER,
  WEB_CLIENT_HEADER_VALUE,
} from './browser-session-routes';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });

/** A request body schema, from the same zod schema the route checks requests with. */
function requestSchema(schema: z.ZodType): Schema {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input' }) as Schema;
  return jsonSchema;
}

const dateTime: Schema = { type: 'string', format: 'date-time' };
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });
const object = (properties: Record<string, Schema>, description?: string): Schema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required: Object.keys(properties),
});

const schemas: Record<string, Schema> = {
  Error: {
    type: 'object',
    description:
      "Every refusal. `code` is the GraphQL API's `extensions.code` (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, CONFLICT, RATE_LIMITED, BUDGET_EXCEEDED, CONTENT_BLOCKED, UPSTREAM_UNAVAILABLE, OVERLOADED, INTERNAL_SERVER_ERROR) or one of HTTP's own (METHOD_NOT_ALLOWED, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, REQUEST_TIMEOUT); the other extensions of the error come beside it.",
    properties: {
      error: {
        type: 'object',
        properties: {
          code: { type: 'string', examples: [ErrorCode.NOT_FOUND] },
          message: { type: 'string', description: 'For people: what went wrong and what to do.' },
          field: { type: 'string', description: 'BAD_USER_INPUT: the offending field.' },
          retryAfterSeconds: { type: 'integer', description: 'RATE_LIMITED and OVERLOADED: also sent as Retry-After.' },
          category: { type: 'string', description: 'CONTENT_BLOCKED: what was found.' },
          requestId: { type: 'string', description: 'INTERNAL_SERVER_ERROR: quote it when reporting.' },
          reason: {
            type: 'string',
            enum: Object.values(CrossSiteRefusal),
            description: 'FORBIDDEN on the browser session routes: why the request was taken for a possible cross-site forgery.',
          },
        },
        required: ['code', 'message'],
        additionalProperties: true,
      },
    },
    required: ['error'],
  },
  User: object({
    id: { type: 'string' },
    email: { type: 'string' },
    displayName: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    createdAt: dateTime,
  }),
  UserSettings: object({
    preferredLanguage: { type: 'string', description: 'BCP 47 tag.' },
    defaultModel: nullable({ type: 'string' }),
    autoTranslate: { type: 'boolean' },
  }),
  Tokens: object({
    accessToken: { type: 'string', description: 'JWT (ES256), valid for 15 minutes: send it as `Authorization: Bearer <token>`.' },
    refreshToken: { type: 'string', description: 'Opaque; rotated on every use: keep only the newest.' },
    expiresAt: { ...dateTime, description: 'When accessToken expires.' },
    user: ref('User'),
  }),
  BrowserSession: object(
    {
      accessToken: { type: 'string', description: 'JWT (ES256), valid for 15 minutes: send it as `Authorization: Bearer <token>`.' },
      expiresAt: { ...dateTime, description: 'When accessToken expires: refresh before then.' },
      user: object({
        id: { type: 'string' },
        email: { type: 'string' },
        displayName: { type: 'string' },
        roles: { type: 'array', items: { type: 'string' } },
      }),
    },
    `The session as the page sees it. The refresh token is in the ${REFRESH_COOKIE} cookie (HttpOnly), never here.`,
  ),
  Conversation: object({ id: { type: 'string' }, title: { type: 'string' }, createdAt: dateTime, updatedAt: dateTime }),
  Message: object({
    id: { type: 'string' },
    role: { type: 'string', enum: ['USER', 'ASSISTANT', 'SYSTEM'] },
    status: { type: 'string', enum: [...MESSAGE_STATUSES] },
    content: { type: 'string' },
    parentId: nullable({ type: 'string' }),
    createdAt: dateTime,
  }),
  AssistantReply: {
    allOf: [
      ref('Message'),
      object({
        lastSeq: nullable({ type: 'integer', description: 'The seq of the last event of its stream.' }),
        failure: nullable(object({ code: { type: 'string' }, reason: { type: 'string' } }, 'Why the reply failed (status FAILED).')),
      }),
    ],
  },
  StoredReply: { allOf: [ref('AssistantReply'), object({ conversation: ref('Conversation') })] },
  PageInfo: object({
    hasNextPage: { type: 'boolean' },
    endCursor: nullable({ type: 'string', description: 'Pass as `after` for the next page.' }),
  }),
  ConversationPage: object({ conversations: { type: 'array', items: ref('Conversation') }, pageInfo: ref('PageInfo') }),
  ConversationThread: {
    allOf: [
      ref('Conversation'),
      object({
        messages: { type: 'array', items: ref('Message'), description: 'The active branch, oldest first.' },
        pageInfo: ref('PageInfo'),
      }),
    ],
  },
  SentMessages: object(
    { conversation: ref('Conversation'), userMessage: ref('Message'), assistantMessage: ref('Message') },
    'What sendMessage stored: the question, and the reply in status PENDING.',
  ),
  Completion: object(
    { conversation: ref('Conversation'), userMessage: ref('Message'), assistantMessage: ref('AssistantReply') },
    'The sent messages, with the reply as it stands.',
  ),
  DeltaEvent: object(
    { messageId: { type: 'string' }, seq: { type: 'integer' }, delta: { type: 'string' } },
    'The next piece of the reply.',
  ),
  CompletedEvent: object({ messageId: { type: 'string' }, seq: { type: 'integer' }, message: ref('StoredReply') }, 'The reply ended.'),
  FailedEvent: object(
    { messageId: { type: 'string' }, seq: { type: 'integer' }, code: { type: 'string' }, reason: { type: 'string' } },
    'The reply failed.',
  ),
  LoginRequest: requestSchema(LoginBody),
  RefreshTokenRequest: requestSchema(RefreshTokenBody),
  LogoutRequest: requestSchema(LogoutBody),
  RegisterRequest: requestSchema(RegisterBody),
  OidcLoginRequest: requestSchema(OidcLoginBody),
  ChatCompletionRequest: {
    ...requestSchema(ChatCompletionBody),
    description: 'Exactly one of `content` and `messages`.',
  },
  ProfileUpdate: requestSchema(ProfileUpdateBody),
  SettingsUpdate: requestSchema(SettingsUpdateBody),
};

const errorResponse = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: json(ref('Error')),
});

const responses = {
  BadRequest: errorResponse('BAD_USER_INPUT: malformed JSON, a missing or mistyped field, or a value the graph refused.'),
  Unauthenticated: errorResponse('UNAUTHENTICATED: no credential, or a bad or expired one.', {
    'WWW-Authenticate': { schema: { type: 'string', const: 'Bearer' } },
  }),
  Forbidden: errorResponse('FORBIDDEN: e.g. an API key without the scope, or one used to manage an account.'),
  CrossSite: errorResponse(
    `FORBIDDEN, \`reason\` ${CrossSiteRefusal.WEB_CLIENT_HEADER_MISSING}: no \`${WEB_CLIENT_HEADER}: ${WEB_CLIENT_HEADER_VALUE}\` header; ` +
      `${CrossSiteRefusal.FOREIGN_ORIGIN}: an Origin other than this gateway's own. Nothing was done, and the cookie is left as it is.`,
  ),
  NotFound: errorResponse("NOT_FOUND: no such resource of the caller's (someone else's is not revealed)."),
  PayloadTooLarge: errorResponse('PAYLOAD_TOO_LARGE: the body is larger than the limit.'),
  UnsupportedMediaType: errorResponse('UNSUPPORTED_MEDIA_TYPE: the body is not JSON.'),
  ContentBlocked: errorResponse('CONTENT_BLOCKED: content moderation refused the message (`category` says why); nothing was stored.'),
  RateLimited: errorResponse('RATE_LIMITED: too many requests (or replies in flight).', {
    'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } },
  }),
  Unavailable: errorResponse(
    'UPSTREAM_UNAVAILABLE: a service Parley depends on cannot be reached; retry later. OVERLOADED: the gateway or a service is at capacity and did not start the request; retry after Retry-After.',
    { 'Retry-After': { description: 'OVERLOADED: seconds to wait.', schema: { type: 'integer' } } },
  ),
  Error: errorResponse('Any other refusal (e.g. 402 BUDGET_EXCEEDED, 409 CONFLICT, 500 INTERNAL_SERVER_ERROR), in the same shape.'),
};

const refusals = (...statuses: [number, keyof typeof responses][]) => ({
  ...Object.fromEntries(statuses.map(([status, name]) => [String(status), { $ref: `#/components/responses/${name}` }])),
  '415': { $ref: '#/components/responses/UnsupportedMediaType' },
  '429': { $ref: '#/components/responses/RateLimited' },
  '503': { $ref: '#/components/responses/Unavailable' },
  default: { $ref: '#/components/responses/Error' },
});
const signedInRefusals = (...statuses: [number, keyof typeof responses][]) =>
  refusals([401, 'Unauthenticated'], [403, 'Forbidden'], ...statuses);
const withBody = (schema: string) => ({ required: true, content: json(ref(schema)) });
const noContent = (description: string) => ({ '204': { description } });

const parameters = {
  first: { name: 'first', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 }, description: 'Page size.' },
  after: { name: 'after', in: 'query', schema: { type: 'string' }, description: '`pageInfo.endCursor` of the previous page.' },
  search: { name: 'search', in: 'query', schema: { type: 'string' }, description: 'Full-text search in titles and messages.' },
  conversationId: { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
  webClient: {
    name: WEB_CLIENT_HEADER,
    in: 'header',
    required: true,
    schema: { type: 'string', const: WEB_CLIENT_HEADER_VALUE },
    description: "Parley's web client says it is: a cross-site form cannot send this header (CSRF protection).",
  },
  prefer: {
    name: 'Prefer',
    in: 'header',
    schema: { type: 'string', examples: ['wait=10'] },
    description: 'RFC 7240 `wait=N`: wait at most N seconds (0–120) for the reply when not streaming.',
  },
};
const param = (name: keyof typeof parameters) => ({ $ref: `#/components/parameters/${name}` });

const settingCookie = {
  'Set-Cookie': {
    description: `The session's refresh token: \`${REFRESH_COOKIE}=<refresh token>; ${REFRESH_COOKIE_ATTRIBUTES}; Max-Age=${REFRESH_COOKIE_MAX_AGE_SECONDS}\`.`,
    schema: { type: 'string' },
  },
};
const clearingCookie = {
  'Set-Cookie': {
    description: `\`${REFRESH_COOKIE}=; ${REFRESH_COOKIE_ATTRIBUTES}; Max-Age=0\`: the cookie cleared.`,
    schema: { type: 'string' },
  },
};
const session = (description: string) => ({ '200': { description, headers: settingCookie, content: json(ref('BrowserSession')) } });
/** A browser session route: POST with the web client's header, refused as a possible forgery without it. */
const browserRoute = (
  operation: Record<string, unknown>,
  answers: Record<string, unknown>,
  ...statuses: [number, keyof typeof responses][]
) => ({
  post: {
    tags: ['browser session'],
    parameters: [param('webClient')],
    ...operation,
    responses: { ...answers, ...refusals([403, 'CrossSite'], ...statuses) },
  },
});

const anyone: unknown[] = [];

/**
 * The OpenAPI 3.1 description of /api/v1 (served at /api/v1/openapi.json).
 * Request bodies come from the zod schemas the routes check requests with;
 * responses are the selections of the routes' operations in
 * libs/client/operations/rest-api.graphql.
 */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley REST API',
      version: '1.0.0',
      description:
        'A thin REST mapping onto the Parley GraphQL API (/graphql): every route runs GraphQL operations as the caller, so the rules, limits and errors are the same. ' +
        'Authenticate with `Authorization: Bearer <access token or API key>`. Refusals are `{ "error": { "code", "message", …extensions } }` with the HTTP status of the code ' +
        '(UNAUTHENTICATED 401, FORBIDDEN 403, BAD_USER_INPUT 400, NOT_FOUND 404, CONFLICT 409, BUDGET_EXCEEDED 402, RATE_LIMITED 429 with Retry-After, CONTENT_BLOCKED 422, ' +
        'UPSTREAM_UNAVAILABLE 503, OVERLOADED 503 with Retry-After when the gateway is at capacity); a method a route does not serve is 405 with Allow.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: [
      { name: 'auth', description: 'Tokens: sign in, refresh, sign out.' },
      {
        name: 'browser session',
        description:
          `The web client's session on the same origin: the refresh token lives in an HttpOnly, SameSite=Strict cookie (\`${REFRESH_COOKIE}\`) that page scripts cannot read. ` +
          `Every route needs \`${WEB_CLIENT_HEADER}: ${WEB_CLIENT_HEADER_VALUE}\`, and an Origin, when sent, must be this gateway's own. No Authorization header is read.`,
      },
      { name: 'chat', description: 'Sending messages and reading conversations.' },
      { name: 'users', description: "The signed-in user's profile and settings." },
      { name: 'meta', description: 'This document.' },
    ],
    security: [{ bearerAuth: [] }],
    paths: {
      '/api/v1/auth/login': {
        post: {
          operationId: 'login',
          tags: ['auth'],
          summary: 'Sign in with e-mail and password (GraphQL `login`)',
          security: anyone,
          requestBody: withBody('LoginRequest'),
          responses: {
            '200': { description: 'Signed in.', content: json(ref('Tokens')) },
            ...refusals([400, 'BadRequest'], [401, 'Unauthenticated']),
          },
        },
      },
      '/api/v1/auth/refresh': {
        post: {
          operationId: 'refreshToken',
          tags: ['auth'],
          summary: 'New tokens for a refresh token (GraphQL `refreshToken`)',
          description: 'The refresh token is retired; presenting a retired one again ends that whole session.',
          security: anyone,
          requestBody: withBody('RefreshTokenRequest'),
          responses: {
            '200': { description: 'New tokens.', content: json(ref('Tokens')) },
            ...refusals([400, 'BadRequest'], [401, 'Unauthenticated']),
          },
        },
      },
      '/api/v1/auth/logout': {
        post: {
          operationId: 'logout',
          tags: ['auth'],
          summary: 'End the session of a refresh token (GraphQL `logout`)',
          security: anyone,
          requestBody: withBody('LogoutRequest'),
          responses: { ...noContent('Signed out.'), ...refusals([400, 'BadRequest']) },
        },
      },
      [`${BROWSER_SESSION_PATH}/register`]: browserRoute(
        {
          operationId: 'browserRegister',
          summary: 'Create an account and sign the browser in (GraphQL `register`)',
          security: anyone,
          requestBody: withBody('RegisterRequest'),
        },
        session('Signed up and signed in.'),
        [400, 'BadRequest'],
        [413, 'PayloadTooLarge'],
      ),
      [`${BROWSER_SESSION_PATH}/login`]: browserRoute(
        {
          operationId: 'browserLogin',
          summary: 'Sign the browser in with e-mail and password (GraphQL `login`)',
          security: anyone,
          requestBody: withBody('LoginRequest'),
        },
        session('Signed in.'),
        [400, 'BadRequest'],
        [401, 'Unauthenticated'],
        [413, 'PayloadTooLarge'],
      ),
      [`${BROWSER_SESSION_PATH}/oidc`]: browserRoute(
        {
          operationId: 'browserOidcLogin',
          summary: 'Sign the browser in with an external OpenID Connect provider (GraphQL `finishOidcLogin`)',
          description: 'Start with GraphQL `startOidcLogin`; send here the whole URL the provider redirected the browser to.',
          security: anyone,
          requestBody: withBody('OidcLoginRequest'),
        },
        session('Signed in.'),
        [400, 'BadRequest'],
        [401, 'Unauthenticated'],
        [404, 'NotFound'],
        [413, 'PayloadTooLarge'],
      ),
      [`${BROWSER_SESSION_PATH}/refresh`]: browserRoute(
        {
          operationId: 'browserRefresh',
          summary: 'New tokens for the session in the cookie (GraphQL `refreshToken`): no body',
          description:
            'The cookie is rotated: the answer sets the next one. A missing, expired, reused or ended one is 401, and the cookie is cleared; presenting a retired one ends the whole session.',
          security: [{ browserSession: [] }],
        },
        {
          ...session('Refreshed: the next cookie is set.'),
          '401': { ...responses.Unauthenticated, headers: { ...responses.Unauthenticated.headers, ...clearingCookie } },
        },
      ),
      [`${BROWSER_SESSION_PATH}/logout`]: browserRoute(
        {
          operationId: 'browserLogout',
          summary: 'End the session in the cookie (GraphQL `logout`) and clear the cookie: no body',
          security: [{ browserSession: [] }, {}],
        },
        { '204': { description: 'Signed out (also when there was no cookie, or its session had ended).', headers: clearingCookie } },
      ),
      '/api/v1/chat/completions': {
        post: {
          operationId: 'createChatCompletion',
          tags: ['chat'],
          summary: 'Send a message and get the reply (GraphQL `sendMessage`, then the reply)',
          description:
            'Without `stream`: waits until the reply has finished (200), at most 120 s or what `Prefer: wait=N` asks; then answers 202 with the reply as it stands ' +
            '(PENDING or STREAMING): read it later from the history or GraphQL. With `stream: true`: Server-Sent Events. Leaving early never stops the reply; ' +
            'GraphQL `cancelGeneration` does.',
          parameters: [param('prefer')],
          requestBody: withBody('ChatCompletionRequest'),
          responses: {
            '200': {
              description: 'The reply finished (COMPLETED, FAILED or CANCELLED); or, with `stream: true`, the stream of its events.',
              headers: {
                'Preference-Applied': { description: 'The wait applied, when Prefer asked for one.', schema: { type: 'string' } },
              },
              content: {
                ...json(ref('Completion')),
                'text/event-stream': {
                  schema: {
                    type: 'string',
                    description:
                      'Server-Sent Events, each `event: <name>` and one `data:` line of JSON: `sent` (SentMessages), then `delta` (DeltaEvent, `id:` its seq) for each piece of ' +
                      'the reply in seq order, then exactly one of `completed` (CompletedEvent) and `failed` (FailedEvent), and the stream ends. `error` (Error) ends it ' +
                      'early if it cannot go on. Comment lines (`: keep-alive`) keep an idle connection open.',
                  },
                  'x-events': {
                    sent: ref('SentMessages'),
                    delta: ref('DeltaEvent'),
                    completed: ref('CompletedEvent'),
                    failed: ref('FailedEvent'),
                    error: ref('Error'),
                  },
                },
              },
            },
            '202': {
              description: 'The wait was over before the reply finished: the reply as it stands.',
              headers: { 'Preference-Applied': { schema: { type: 'string' } } },
              content: json(ref('Completion')),
            },
            ...signedInRefusals([400, 'BadRequest'], [404, 'NotFound'], [413, 'PayloadTooLarge'], [422, 'ContentBlocked']),
          },
        },
      },
      '/api/v1/chat/history': {
        get: {
          operationId: 'listConversations',
          tags: ['chat'],
          summary: "The caller's conversations, most recently updated first (GraphQL `conversations`)",
          parameters: [param('first'), param('after'), param('search')],
          responses: {
            '200': { description: 'One page.', content: json(ref('ConversationPage')) },
            ...signedInRefusals([400, 'BadRequest']),
          },
        },
      },
      '/api/v1/chat/history/{id}': {
        parameters: [param('conversationId')],
        get: {
          operationId: 'getConversation',
          tags: ['chat'],
          summary: 'One conversation with its messages (GraphQL `conversation`)',
          parameters: [param('first'), param('after')],
          responses: {
            '200': { description: 'The conversation and a page of its messages.', content: json(ref('ConversationThread')) },
            ...signedInRefusals([400, 'BadRequest'], [404, 'NotFound']),
          },
        },
        delete: {
          operationId: 'deleteConversation',
          tags: ['chat'],
          summary: 'Delete a conversation and all its messages (GraphQL `deleteConversation`)',
          responses: { ...noContent('Deleted.'), ...signedInRefusals([404, 'NotFound']) },
        },
      },
      '/api/v1/users/profile': {
        get: {
          operationId: 'getProfile',
          tags: ['users'],
          summary: 'The signed-in user (GraphQL `me`)',
          responses: { '200': { description: 'The profile.', content: json(ref('User')) }, ...signedInRefusals([404, 'NotFound']) },
        },
        put: {
          operationId: 'updateProfile',
          tags: ['users'],
          summary: 'Change the profile: the fields given, the others as they are (GraphQL `updateProfile`)',
          requestBody: withBody('ProfileUpdate'),
          responses: {
            '200': { description: 'The profile.', content: json(ref('User')) },
            ...signedInRefusals([400, 'BadRequest'], [413, 'PayloadTooLarge']),
          },
        },
      },
      '/api/v1/users/settings': {
        get: {
          operationId: 'getSettings',
          tags: ['users'],
          summary: "The signed-in user's settings (GraphQL `me.settings`)",
          responses: {
            '200': { description: 'The settings.', content: json(ref('UserSettings')) },
            ...signedInRefusals([404, 'NotFound']),
          },
        },
        put: {
          operationId: 'updateSettings',
          tags: ['users'],
          summary: 'Change settings: the fields given, the others as they are (GraphQL `updateSettings`)',
          requestBody: withBody('SettingsUpdate'),
          responses: {
            '200': { description: 'The settings.', content: json(ref('UserSettings')) },
            ...signedInRefusals([400, 'BadRequest'], [413, 'PayloadTooLarge']),
          },
        },
      },
      '/api/v1/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          tags: ['meta'],
          summary: 'This document',
          security: anyone,
          responses: { '200': { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An access token (from /api/v1/auth/login or GraphQL) or an API key (`pk_…`, from GraphQL `createApiKey`).',
        },
        browserSession: {
          type: 'apiKey',
          in: 'cookie',
          name: REFRESH_COOKIE,
          description: `The browser session's refresh token, set by the routes under ${BROWSER_SESSION_PATH} (HttpOnly: the browser sends it, page scripts cannot read it).`,
        },
      },
      schemas,
      responses,
      parameters,
    },
  };
}
