import { requireAdmin, requireScope, requireViewer } from '@parley/auth';
import { BadUserInputError, NotFoundError } from '@parley/errors';
import type { ChatContext } from './context';
import type { Resolvers } from './generated/resolvers-types';
import { pageSize, toPage } from './pagination';

/** Everything in chat belongs to someone: an anonymous request is refused with a hint. */
function signedIn(context: ChatContext) {
  // Loaders exist exactly when a viewer does.
  const viewer = requireViewer(
    context.loaders ? context.viewer : null,
    'Sign in to use conversations: send an access token as "Authorization: Bearer <token>".',
  );
  // An API key reaches conversations only when it was granted the "chat" scope.
  requireScope(viewer, 'chat', 'This API key lacks the "chat" scope; create a key with scopes ["chat"] to read conversations.');
  return { viewer, loaders: context.loaders! };
}

export const resolvers: Resolvers = {
  Query: {
    moderationFlags: (_root, { first, after }, context) => {
      requireAdmin(signedIn(context).viewer, 'Only admins can review moderation flags.');
      return context.moderationFlags.list(first, after);
    },
    message: async (_root, { id }, context) => signedIn(context).loaders.message.load(id),
    conversations: (_root, args, context) => {
      const { viewer } = signedIn(context);
      return context.history.listForOwner(viewer.userId, { size: pageSize(args.first, 20), after: args.after, search: args.search });
    },
    conversation: async (_root, { id }, context) => {
      const conversation = await signedIn(context).loaders.conversation.load(id);
      if (!conversation) throw new NotFoundError(`No conversation with id "${id}".`);
      return conversation;
    },
  },
  Mutation: {
    sendMessage: async (_root, { input }, context) => context.sending.send(signedIn(context).viewer.userId, input),
    cancelGeneration: async (_root, { messageId }, context) => context.replies.cancel(signedIn(context).viewer.userId, messageId),
    deleteConversation: async (_root, { id }, context) => context.replies.deleteConversation(signedIn(context).viewer.userId, id),
    renameConversation: async (_root, { id, title }, context) => context.history.rename(signedIn(context).viewer.userId, id, title),
    regenerateMessage: async (_root, { messageId, model }, context) =>
      context.sending.regenerate(signedIn(context).viewer.userId, messageId, model),
    editMessage: async (_root, { messageId, content, model }, context) =>
      context.sending.edit(signedIn(context).viewer.userId, messageId, content, model),
    selectBranch: async (_root, { messageId }, context) => context.sending.selectBranch(signedIn(context).viewer.userId, messageId),
  },
  Subscription: {
    messageStream: {
      // Composed into the supergraph from here, but served by the gateway from the message stream log.
      subscribe: () => {
        throw new BadUserInputError('Subscribe to messageStream through the gateway, over graphql-ws on /graphql.');
      },
    },
  },
  User: {
    __resolveReference: (reference) => ({ id: reference.id }),
    conversations: (user, args, context) => {
      const { viewer } = signedIn(context);
      if (user.id !== viewer.userId) throw new NotFoundError('These conversations do not exist.');
      return context.history.listForOwner(viewer.userId, { size: pageSize(args.first, 20), after: args.after });
    },
  },
  Conversation: {
    __resolveReference: async (reference, context) => signedIn(context).loaders.conversation.load(reference.id),
    owner: (conversation) => ({ __typename: 'User', id: conversation.ownerId }),
    messages: async (conversation, args, context) => {
      const { loaders } = signedIn(context);
      const size = pageSize(args.first, 50);
      if (args.after) return context.history.messagesAfter(conversation.id, { size, after: args.after });
      const rows = await loaders.firstMessages.load(`${size}:${conversation.id}`);
      return toPage(rows, size, (m) => ({ at: m.createdAt, id: m.id }));
    },
  },
  Message: {
    __resolveReference: async (reference, context) => signedIn(context).loaders.message.load(reference.id),
    siblings: async (message, _args, context) => signedIn(context).loaders.siblings.load(message.id),
    failure: (message) =>
      message.status === 'FAILED' ? { code: message.failureCode ?? 'INTERNAL_SERVER_ERROR', reason: message.failureReason ?? '' } : null,
    conversation: async (message, _args, context) => {
      const conversation = await signedIn(context).loaders.conversation.load(message.conversationId);
      if (!conversation) throw new NotFoundError(`No conversation with id "${message.conversationId}".`);
      return conversation;
    },
  },
};
