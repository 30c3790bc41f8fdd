import type { IncomingMessage } from 'node:http';
import { RestConversationThreadDocument, RestDeleteConversationDocument, RestHistoryDocument } from '@parley/client';
import { NotFoundError } from '@parley/errors';
import { sendJson, type RouteHandler } from '@parley/runtime';
import type { GraphCallers } from './graph-caller';
import { QueryParameters } from './query-parameters';
import { restRoute, unknownRoute } from './rest-route';

export const HISTORY_PATH = '/api/v1/chat/history';

/** The conversation id of /api/v1/chat/history/{id}; undefined when the path is deeper or empty (not a route). */
function conversationIdOf(req: IncomingMessage): string | undefined {
  const segment = (req.url ?? '/').split('?', 1)[0]!.slice(HISTORY_PATH.length + 1);
  if (!segment || segment.includes('/')) return undefined;
  try {
    return decodeURIComponent(segment) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The signed-in user's conversations: the list (`conversations`, newest
 * first, by cursor, searchable), one with its messages (`conversation`), and
 * deleting one (`deleteConversation`). Someone else's conversation is
 * NOT_FOUND, as the graph answers it: its existence is not revealed.
 */
export function historyRoutes(callers: GraphCallers): { routes: Record<string, RouteHandler>; prefixRoutes: Record<string, RouteHandler> } {
  const notFound = unknownRoute();
  const conversation = restRoute({
    async GET(req, res, scope) {
      const id = conversationIdOf(req)!;
      const caller = await callers.signedIn(req, scope);
      const query = new QueryParameters(req);
      const { conversation } = await caller.run(RestConversationThreadDocument, {
        id,
        first: query.integer('first'),
        after: query.string('after'),
      });
      if (!conversation) throw new NotFoundError(`No conversation with id "${id}".`);
      const { messages, ...summary } = conversation;
      sendJson(res, 200, { ...summary, messages: messages.edges.map((edge) => edge.node), pageInfo: messages.pageInfo });
    },
    async DELETE(req, res, scope) {
      const id = conversationIdOf(req)!;
      const caller = await callers.signedIn(req, scope);
      const { deleteConversation: deleted } = await caller.run(RestDeleteConversationDocument, { id });
      // The graph answers false for no such conversation of the caller's; a resource that is not there is 404.
      if (!deleted) throw new NotFoundError(`No conversation with id "${id}".`);
      res.writeHead(204).end();
    },
  });
  return {
    routes: {
      [HISTORY_PATH]: restRoute({
        async GET(req, res, scope) {
          const caller = await callers.signedIn(req, scope);
          const query = new QueryParameters(req);
          const { conversations } = await caller.run(RestHistoryDocument, {
            first: query.integer('first'),
            after: query.string('after'),
            search: query.string('search'),
          });
          sendJson(res, 200, { conversations: conversations.edges.map((edge) => edge.node), pageInfo: conversations.pageInfo });
        },
      }),
    },
    prefixRoutes: {
      [`${HISTORY_PATH}/`]: (req, res, scope) => (conversationIdOf(req) === undefined ? notFound : conversation)(req, res, scope),
    },
  };
}
