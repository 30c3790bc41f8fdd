import { requireScope, requireViewer } from '@parley/auth';
import type { TranslationContext } from './context';
import type { Resolvers } from './generated/resolvers-types';
import { SUPPORTED_LANGUAGES } from './supported-languages';

function signedIn(context: TranslationContext) {
  // The translations loader exists exactly when a viewer does.
  const viewer = requireViewer(context.translations ? context.viewer : null, 'Sign in to translate: send a bearer access token.');
  // Translation is part of chatting (the messages it translates are the "chat" scope's), and every translation is a
  // model's or LibreTranslate's work charged to the key's owner: a key without "chat" (a "models" key, for /v1) gets none.
  requireScope(viewer, 'chat', 'This API key lacks the "chat" scope, which translation needs; create a key with scopes ["chat"].');
  return { viewer, translations: context.translations! };
}

export const resolvers: Resolvers = {
  Query: {
    supportedLanguages: () => [...SUPPORTED_LANGUAGES],
    translate: (_root, { text, to, from }, context) => {
      const { viewer } = signedIn(context);
      return context.translator.translate({ text, to, from: from ?? null, userId: viewer.userId });
    },
    detectLanguage: (_root, { text }, context) => {
      signedIn(context);
      return context.translator.detect(text);
    },
  },
  Message: {
    // The gateway has already read the message through chat, which shows a user only their own messages.
    translation: (message, { to }, context) => {
      const { translations } = signedIn(context);
      const content = message.content;
      return content ? translations.load({ text: content, to }) : null;
    },
  },
};
