import type { IncomingMessage, ServerResponse } from 'node:http';
import { RestReplyDocument, RestSendMessageDocument, type RestSendMessageMutation, type SendMessageInput } from '@parley/client';
import { BadUserInputError, NotFoundError } from '@parley/errors';
import { sendJson, type RequestScope, type RouteHandler } from '@parley/runtime';
import type { EdgeDependencies } from '../http/edge-routes';
import { clientDeparture } from './client-departure';
import type { GraphCaller, GraphCallers } from './graph-caller';
import { readJsonBody } from './json-body';
import { replyFollower } from './reply-following';
import { ChatCompletionBody } from './request-bodies';
import { asRestError, internalError, restErrorBody } from './rest-errors';
import { restRoute } from './rest-route';
import { openEventStream } from './server-sent-events';
import { isInFlight, type MessageStatus } from '@parley/message-stream';

export interface ChatCompletionOptions {
  maxBodyBytes: number;
  /** Longest a request without `stream` waits for the reply to finish (a `Prefer: wait=N` header may ask for less). */
  maxWaitSeconds: number;
  /** Interval of the keep-alive comments of a streamed reply. */
  keepAliveMs: number;
}

type SentMessages = RestSendMessageMutation['sendMessage'];

/** The message to send: `content`, or OpenAI-style the last "user" message of `messages`. */
function sendMessageInput({ content, messages, conversationId, model, clientMessageId }: ChatCompletionBody): SendMessageInput {
  if (content !== undefined && messages !== undefined) {
    throw new BadUserInputError('Give either "content" or "messages", not both.', { field: 'content' });
  }
  const text = content ?? messages?.findLast((message) => message.role.toLowerCase() === 'user')?.content;
  if (typeof text !== 'string') {
    throw messages === undefined
      ? new BadUserInputError('"content" is required: the message to send (or OpenAI-style "messages").', {
          field: 'content',
        })
      : new BadUserInputError('"messages" has no "user" message with a text "content" to send.', {
          field: 'messages',
        });
  }
  return { content: text, conversationId, model, clientMessageId };
}

/** RFC 7240's `Prefer: wait=N`: how long the client is willing to wait for the reply. */
function preferredWaitSeconds(req: IncomingMessage): number | undefined {
  const prefer = req.headers['prefer'];
  const match = /(?:^|[,;])\s*wait\s*=\s*"?(\d+)"?/i.exec(Array.isArray(prefer) ? prefer.join(',') : (prefer ?? ''));
  return match ? Number(match[1]) : undefined;
}

/**
 * POST /api/v1/chat/completions: `sendMessage`, then the reply. The reply is
 * generated in the background whatever happens to this request: a client that
 * leaves stops only its own waiting or streaming (as a subscriber leaving a
 * GraphQL subscription does); `cancelGeneration` is what stops a reply.
 */
export function chatCompletionRoute(
  callers: GraphCallers,
  deps: Pick<EdgeDependencies, 'messageStreams' | 'runOperation'>,
  options: ChatCompletionOptions,
): RouteHandler {
  const followReply = replyFollower(deps);

  async function storedReply(caller: GraphCaller, messageId: string) {
    const { message } = await caller.run(RestReplyDocument, { id: messageId });
    // Its conversation was deleted meanwhile.
    if (!message) throw new NotFoundError(`No message "${messageId}" of yours.`);
    return message;
  }

  /**
   * Without `stream`: the sent messages, once the reply has finished (200) or
   * once the wait is over (202, the reply as it stands, still PENDING or STREAMING).
   */
  async function answerWhenFinished(
    req: IncomingMessage,
    res: ServerResponse,
    scope: RequestScope,
    caller: GraphCaller,
    sent: SentMessages,
  ) {
    const preferred = preferredWaitSeconds(req);
    const waitSeconds = Math.min(preferred ?? options.maxWaitSeconds, options.maxWaitSeconds);
    const departure = clientDeparture(res);
    const waitOver = new AbortController();
    const timer = setTimeout(() => waitOver.abort(), waitSeconds * 1000);
    try {
      if (waitSeconds > 0) {
        // Waiting for the reply is the worker's and the model's time, not this gateway's work: it holds no admission slot.
        scope.leaveAdmission();
        await followReply({
          messageId: sent.assistantMessage.id,
          context: caller.context,
          signal: AbortSignal.any([departure, waitOver.signal]),
        });
      }
    } catch (error) {
      // The message is sent already: answering with the reply as it stands beats an error that invites sending it twice.
      scope.logger.warn({ err: error, messageId: sent.assistantMessage.id }, 'could not follow a reply; answering with its current state');
    } finally {
      clearTimeout(timer);
    }
    if (departure.aborted) return;
    const { conversation, ...assistantMessage } = await storedReply(caller, sent.assistantMessage.id);
    if (preferred !== undefined) res.setHeader('preference-applied', `wait=${waitSeconds}`);
    sendJson(res, isInFlight(assistantMessage.status as MessageStatus) ? 202 : 200, {
      conversation,
      userMessage: sent.userMessage,
      assistantMessage,
    });
  }

  /**
   * With `stream: true`: Server-Sent Events. `sent` (the sendMessage payload),
   * a `delta` per piece of the reply (id: its seq), then `completed` (the
   * stored message) or `failed` (code and reason); `error` if the stream itself
   * could not go on. The response ends after the last of these.
   */
  async function streamReply(res: ServerResponse, scope: RequestScope, caller: GraphCaller, sent: SentMessages) {
    const messageId = sent.assistantMessage.id;
    const stream = openEventStream(res, { keepAliveMs: options.keepAliveMs });
    stream.send('sent', sent);
    try {
      const ending = await followReply({
        messageId,
        context: caller.context,
        signal: stream.clientGone,
        onDelta: ({ seq, delta }) => stream.send('delta', { messageId, seq, delta }, seq),
      });
      if (!ending) return;
      if (ending.kind === 'failed') {
        stream.send('failed', { messageId, seq: ending.seq, code: ending.code, reason: ending.reason }, ending.seq);
      } else {
        stream.send('completed', { messageId, seq: ending.seq, message: await storedReply(caller, messageId) }, ending.seq);
      }
    } catch (error) {
      const refusal = asRestError(error);
      if (!refusal) scope.logger.error({ err: error, messageId }, 'streaming a reply over REST failed');
      stream.send('error', restErrorBody(refusal ?? internalError(scope.requestId)));
    } finally {
      stream.end();
    }
  }

  return restRoute({
    async POST(req, res, scope) {
      const caller = await callers.signedIn(req, scope);
      const body = await readJsonBody(req, ChatCompletionBody, options.maxBodyBytes);
      const { sendMessage: sent } = await caller.run(RestSendMessageDocument, { input: sendMessageInput(body) });
      if (body.stream) await streamReply(res, scope, caller, sent);
      else await answerWhenFinished(req, res, scope, caller, sent);
    },
  });
}
