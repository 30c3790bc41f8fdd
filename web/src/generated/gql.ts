/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment MessageFields on Message {\n    id\n    role\n    content\n    status\n    createdAt\n    parentId\n    lastSeq\n    requestedModel\n    failure {\n      code\n      reason\n    }\n    model {\n      id\n      displayName\n      development\n    }\n    usage {\n      promptTokens\n      completionTokens\n      costUsd\n    }\n    siblings {\n      id\n      status\n      model {\n        id\n        displayName\n      }\n    }\n  }\n": typeof types.MessageFieldsFragmentDoc,
    "\n  query WebViewer {\n    me {\n      id\n      email\n      displayName\n      roles\n      settings {\n        preferredLanguage\n        defaultModel\n        autoTranslate\n      }\n    }\n  }\n": typeof types.WebViewerDocument,
    "\n  query WebIdentityProviders {\n    identityProviders {\n      id\n      displayName\n    }\n  }\n": typeof types.WebIdentityProvidersDocument,
    "\n  mutation WebStartOidcLogin($provider: ID!, $redirectUri: String!) {\n    startOidcLogin(provider: $provider, redirectUri: $redirectUri) {\n      authorizationUrl\n      state\n    }\n  }\n": typeof types.WebStartOidcLoginDocument,
    "\n  query WebConversations($first: Int!, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.WebConversationsDocument,
    "\n  query WebConversation($id: ID!, $first: Int!, $after: String) {\n    conversation(id: $id) {\n      id\n      title\n      updatedAt\n      messages(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...MessageFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.WebConversationDocument,
    "\n  query WebMessage($id: ID!) {\n    message(id: $id) {\n      ...MessageFields\n      conversation {\n        id\n        title\n        updatedAt\n      }\n    }\n  }\n": typeof types.WebMessageDocument,
    "\n  mutation WebSendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      conversation {\n        id\n        title\n        updatedAt\n      }\n      userMessage {\n        ...MessageFields\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n      assistantMessages {\n        ...MessageFields\n      }\n    }\n  }\n": typeof types.WebSendMessageDocument,
    "\n  mutation WebRegenerate($messageId: ID!, $model: String) {\n    regenerateMessage(messageId: $messageId, model: $model) {\n      conversation {\n        id\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n    }\n  }\n": typeof types.WebRegenerateDocument,
    "\n  mutation WebEditMessage($messageId: ID!, $content: String!, $model: String) {\n    editMessage(messageId: $messageId, content: $content, model: $model) {\n      conversation {\n        id\n      }\n      userMessage {\n        ...MessageFields\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n    }\n  }\n": typeof types.WebEditMessageDocument,
    "\n  mutation WebCancel($messageId: ID!) {\n    cancelGeneration(messageId: $messageId) {\n      ...MessageFields\n    }\n  }\n": typeof types.WebCancelDocument,
    "\n  mutation WebSelectBranch($messageId: ID!) {\n    selectBranch(messageId: $messageId) {\n      id\n    }\n  }\n": typeof types.WebSelectBranchDocument,
    "\n  mutation WebRenameConversation($id: ID!, $title: String!) {\n    renameConversation(id: $id, title: $title) {\n      id\n      title\n      updatedAt\n    }\n  }\n": typeof types.WebRenameConversationDocument,
    "\n  mutation WebDeleteConversation($id: ID!) {\n    deleteConversation(id: $id)\n  }\n": typeof types.WebDeleteConversationDocument,
    "\n  subscription WebMessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      __typename\n      messageId\n      seq\n      ... on MessageDelta {\n        delta\n      }\n      ... on MessageCompleted {\n        message {\n          id\n          status\n        }\n      }\n      ... on MessageFailed {\n        reason\n        code\n      }\n    }\n  }\n": typeof types.WebMessageStreamDocument,
    "\n  query WebModels {\n    models {\n      id\n      displayName\n      provider\n      healthy\n      development\n      contextWindow\n      inputPricePerMTok\n      outputPricePerMTok\n    }\n  }\n": typeof types.WebModelsDocument,
    "\n  query WebTranslation($id: ID!, $to: String!) {\n    message(id: $id) {\n      id\n      translation(to: $to) {\n        text\n        from\n        to\n        provider\n      }\n    }\n  }\n": typeof types.WebTranslationDocument,
    "\n  query WebLanguages {\n    supportedLanguages {\n      code\n      name\n    }\n  }\n": typeof types.WebLanguagesDocument,
    "\n  mutation WebUpdateSettings($input: UpdateSettingsInput!) {\n    updateSettings(input: $input) {\n      preferredLanguage\n      defaultModel\n      autoTranslate\n    }\n  }\n": typeof types.WebUpdateSettingsDocument,
    "\n  query WebBudget {\n    myBudget {\n      dailyLimitUsd\n      monthlyLimitUsd\n      spentTodayUsd\n      spentThisMonthUsd\n    }\n    myUsage {\n      requests\n      promptTokens\n      completionTokens\n      costUsd\n      byModel {\n        model\n        requests\n        costUsd\n      }\n    }\n  }\n": typeof types.WebBudgetDocument,
    "\n  query WebAccount {\n    me {\n      id\n      sessions {\n        id\n        userAgent\n        createdAt\n        lastUsedAt\n        current\n      }\n      apiKeys {\n        id\n        name\n        scopes\n        createdAt\n        lastUsedAt\n      }\n      linkedIdentities {\n        provider\n        email\n        linkedAt\n      }\n    }\n  }\n": typeof types.WebAccountDocument,
    "\n  mutation WebRevokeSession($id: ID!) {\n    revokeSession(id: $id)\n  }\n": typeof types.WebRevokeSessionDocument,
    "\n  mutation WebChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n  }\n": typeof types.WebChangePasswordDocument,
    "\n  mutation WebCreateApiKey($name: String!, $scopes: [String!]) {\n    createApiKey(name: $name, scopes: $scopes) {\n      key\n      apiKey {\n        id\n        name\n        scopes\n        createdAt\n        lastUsedAt\n      }\n    }\n  }\n": typeof types.WebCreateApiKeyDocument,
    "\n  mutation WebRevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id)\n  }\n": typeof types.WebRevokeApiKeyDocument,
    "\n  query WebModerationFlags($first: Int!, $after: String) {\n    moderationFlags(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          userId\n          conversationId\n          messageId\n          direction\n          category\n          action\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.WebModerationFlagsDocument,
    "\n  query WebUsageReport {\n    usageReport {\n      from\n      to\n      requests\n      costUsd\n      byModel {\n        model\n        requests\n        costUsd\n      }\n      byUser(first: 20) {\n        user {\n          id\n          email\n        }\n        requests\n        costUsd\n      }\n    }\n  }\n": typeof types.WebUsageReportDocument,
};
const documents: Documents = {
    "\n  fragment MessageFields on Message {\n    id\n    role\n    content\n    status\n    createdAt\n    parentId\n    lastSeq\n    requestedModel\n    failure {\n      code\n      reason\n    }\n    model {\n      id\n      displayName\n      development\n    }\n    usage {\n      promptTokens\n      completionTokens\n      costUsd\n    }\n    siblings {\n      id\n      status\n      model {\n        id\n        displayName\n      }\n    }\n  }\n": types.MessageFieldsFragmentDoc,
    "\n  query WebViewer {\n    me {\n      id\n      email\n      displayName\n      roles\n      settings {\n        preferredLanguage\n        defaultModel\n        autoTranslate\n      }\n    }\n  }\n": types.WebViewerDocument,
    "\n  query WebIdentityProviders {\n    identityProviders {\n      id\n      displayName\n    }\n  }\n": types.WebIdentityProvidersDocument,
    "\n  mutation WebStartOidcLogin($provider: ID!, $redirectUri: String!) {\n    startOidcLogin(provider: $provider, redirectUri: $redirectUri) {\n      authorizationUrl\n      state\n    }\n  }\n": types.WebStartOidcLoginDocument,
    "\n  query WebConversations($first: Int!, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.WebConversationsDocument,
    "\n  query WebConversation($id: ID!, $first: Int!, $after: String) {\n    conversation(id: $id) {\n      id\n      title\n      updatedAt\n      messages(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...MessageFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.WebConversationDocument,
    "\n  query WebMessage($id: ID!) {\n    message(id: $id) {\n      ...MessageFields\n      conversation {\n        id\n        title\n        updatedAt\n      }\n    }\n  }\n": types.WebMessageDocument,
    "\n  mutation WebSendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      conversation {\n        id\n        title\n        updatedAt\n      }\n      userMessage {\n        ...MessageFields\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n      assistantMessages {\n        ...MessageFields\n      }\n    }\n  }\n": types.WebSendMessageDocument,
    "\n  mutation WebRegenerate($messageId: ID!, $model: String) {\n    regenerateMessage(messageId: $messageId, model: $model) {\n      conversation {\n        id\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n    }\n  }\n": types.WebRegenerateDocument,
    "\n  mutation WebEditMessage($messageId: ID!, $content: String!, $model: String) {\n    editMessage(messageId: $messageId, content: $content, model: $model) {\n      conversation {\n        id\n      }\n      userMessage {\n        ...MessageFields\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n    }\n  }\n": types.WebEditMessageDocument,
    "\n  mutation WebCancel($messageId: ID!) {\n    cancelGeneration(messageId: $messageId) {\n      ...MessageFields\n    }\n  }\n": types.WebCancelDocument,
    "\n  mutation WebSelectBranch($messageId: ID!) {\n    selectBranch(messageId: $messageId) {\n      id\n    }\n  }\n": types.WebSelectBranchDocument,
    "\n  mutation WebRenameConversation($id: ID!, $title: String!) {\n    renameConversation(id: $id, title: $title) {\n      id\n      title\n      updatedAt\n    }\n  }\n": types.WebRenameConversationDocument,
    "\n  mutation WebDeleteConversation($id: ID!) {\n    deleteConversation(id: $id)\n  }\n": types.WebDeleteConversationDocument,
    "\n  subscription WebMessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      __typename\n      messageId\n      seq\n      ... on MessageDelta {\n        delta\n      }\n      ... on MessageCompleted {\n        message {\n          id\n          status\n        }\n      }\n      ... on MessageFailed {\n        reason\n        code\n      }\n    }\n  }\n": types.WebMessageStreamDocument,
    "\n  query WebModels {\n    models {\n      id\n      displayName\n      provider\n      healthy\n      development\n      contextWindow\n      inputPricePerMTok\n      outputPricePerMTok\n    }\n  }\n": types.WebModelsDocument,
    "\n  query WebTranslation($id: ID!, $to: String!) {\n    message(id: $id) {\n      id\n      translation(to: $to) {\n        text\n        from\n        to\n        provider\n      }\n    }\n  }\n": types.WebTranslationDocument,
    "\n  query WebLanguages {\n    supportedLanguages {\n      code\n      name\n    }\n  }\n": types.WebLanguagesDocument,
    "\n  mutation WebUpdateSettings($input: UpdateSettingsInput!) {\n    updateSettings(input: $input) {\n      preferredLanguage\n      defaultModel\n      autoTranslate\n    }\n  }\n": types.WebUpdateSettingsDocument,
    "\n  query WebBudget {\n    myBudget {\n      dailyLimitUsd\n      monthlyLimitUsd\n      spentTodayUsd\n      spentThisMonthUsd\n    }\n    myUsage {\n      requests\n      promptTokens\n      completionTokens\n      costUsd\n      byModel {\n        model\n        requests\n        costUsd\n      }\n    }\n  }\n": types.WebBudgetDocument,
    "\n  query WebAccount {\n    me {\n      id\n      sessions {\n        id\n        userAgent\n        createdAt\n        lastUsedAt\n        current\n      }\n      apiKeys {\n        id\n        name\n        scopes\n        createdAt\n        lastUsedAt\n      }\n      linkedIdentities {\n        provider\n        email\n        linkedAt\n      }\n    }\n  }\n": types.WebAccountDocument,
    "\n  mutation WebRevokeSession($id: ID!) {\n    revokeSession(id: $id)\n  }\n": types.WebRevokeSessionDocument,
    "\n  mutation WebChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n  }\n": types.WebChangePasswordDocument,
    "\n  mutation WebCreateApiKey($name: String!, $scopes: [String!]) {\n    createApiKey(name: $name, scopes: $scopes) {\n      key\n      apiKey {\n        id\n        name\n        scopes\n        createdAt\n        lastUsedAt\n      }\n    }\n  }\n": types.WebCreateApiKeyDocument,
    "\n  mutation WebRevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id)\n  }\n": types.WebRevokeApiKeyDocument,
    "\n  query WebModerationFlags($first: Int!, $after: String) {\n    moderationFlags(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          userId\n          conversationId\n          messageId\n          direction\n          category\n          action\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.WebModerationFlagsDocument,
    "\n  query WebUsageReport {\n    usageReport {\n      from\n      to\n      requests\n      costUsd\n      byModel {\n        model\n        requests\n        costUsd\n      }\n      byUser(first: 20) {\n        user {\n          id\n          email\n        }\n        requests\n        costUsd\n      }\n    }\n  }\n": types.WebUsageReportDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MessageFields on Message {\n    id\n    role\n    content\n    status\n    createdAt\n    parentId\n    lastSeq\n    requestedModel\n    failure {\n      code\n      reason\n    }\n    model {\n      id\n      displayName\n      development\n    }\n    usage {\n      promptTokens\n      completionTokens\n      costUsd\n    }\n    siblings {\n      id\n      status\n      model {\n        id\n        displayName\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment MessageFields on Message {\n    id\n    role\n    content\n    status\n    createdAt\n    parentId\n    lastSeq\n    requestedModel\n    failure {\n      code\n      reason\n    }\n    model {\n      id\n      displayName\n      development\n    }\n    usage {\n      promptTokens\n      completionTokens\n      costUsd\n    }\n    siblings {\n      id\n      status\n      model {\n        id\n        displayName\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebViewer {\n    me {\n      id\n      email\n      displayName\n      roles\n      settings {\n        preferredLanguage\n        defaultModel\n        autoTranslate\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebViewer {\n    me {\n      id\n      email\n      displayName\n      roles\n      settings {\n        preferredLanguage\n        defaultModel\n        autoTranslate\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebIdentityProviders {\n    identityProviders {\n      id\n      displayName\n    }\n  }\n"): (typeof documents)["\n  query WebIdentityProviders {\n    identityProviders {\n      id\n      displayName\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebStartOidcLogin($provider: ID!, $redirectUri: String!) {\n    startOidcLogin(provider: $provider, redirectUri: $redirectUri) {\n      authorizationUrl\n      state\n    }\n  }\n"): (typeof documents)["\n  mutation WebStartOidcLogin($provider: ID!, $redirectUri: String!) {\n    startOidcLogin(provider: $provider, redirectUri: $redirectUri) {\n      authorizationUrl\n      state\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebConversations($first: Int!, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebConversations($first: Int!, $after: String, $search: String) {\n    conversations(first: $first, after: $after, search: $search) {\n      edges {\n        cursor\n        node {\n          id\n          title\n          updatedAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebConversation($id: ID!, $first: Int!, $after: String) {\n    conversation(id: $id) {\n      id\n      title\n      updatedAt\n      messages(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...MessageFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebConversation($id: ID!, $first: Int!, $after: String) {\n    conversation(id: $id) {\n      id\n      title\n      updatedAt\n      messages(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...MessageFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebMessage($id: ID!) {\n    message(id: $id) {\n      ...MessageFields\n      conversation {\n        id\n        title\n        updatedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebMessage($id: ID!) {\n    message(id: $id) {\n      ...MessageFields\n      conversation {\n        id\n        title\n        updatedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebSendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      conversation {\n        id\n        title\n        updatedAt\n      }\n      userMessage {\n        ...MessageFields\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n      assistantMessages {\n        ...MessageFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation WebSendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      conversation {\n        id\n        title\n        updatedAt\n      }\n      userMessage {\n        ...MessageFields\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n      assistantMessages {\n        ...MessageFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebRegenerate($messageId: ID!, $model: String) {\n    regenerateMessage(messageId: $messageId, model: $model) {\n      conversation {\n        id\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation WebRegenerate($messageId: ID!, $model: String) {\n    regenerateMessage(messageId: $messageId, model: $model) {\n      conversation {\n        id\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebEditMessage($messageId: ID!, $content: String!, $model: String) {\n    editMessage(messageId: $messageId, content: $content, model: $model) {\n      conversation {\n        id\n      }\n      userMessage {\n        ...MessageFields\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation WebEditMessage($messageId: ID!, $content: String!, $model: String) {\n    editMessage(messageId: $messageId, content: $content, model: $model) {\n      conversation {\n        id\n      }\n      userMessage {\n        ...MessageFields\n      }\n      assistantMessage {\n        ...MessageFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebCancel($messageId: ID!) {\n    cancelGeneration(messageId: $messageId) {\n      ...MessageFields\n    }\n  }\n"): (typeof documents)["\n  mutation WebCancel($messageId: ID!) {\n    cancelGeneration(messageId: $messageId) {\n      ...MessageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebSelectBranch($messageId: ID!) {\n    selectBranch(messageId: $messageId) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation WebSelectBranch($messageId: ID!) {\n    selectBranch(messageId: $messageId) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebRenameConversation($id: ID!, $title: String!) {\n    renameConversation(id: $id, title: $title) {\n      id\n      title\n      updatedAt\n    }\n  }\n"): (typeof documents)["\n  mutation WebRenameConversation($id: ID!, $title: String!) {\n    renameConversation(id: $id, title: $title) {\n      id\n      title\n      updatedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebDeleteConversation($id: ID!) {\n    deleteConversation(id: $id)\n  }\n"): (typeof documents)["\n  mutation WebDeleteConversation($id: ID!) {\n    deleteConversation(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WebMessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      __typename\n      messageId\n      seq\n      ... on MessageDelta {\n        delta\n      }\n      ... on MessageCompleted {\n        message {\n          id\n          status\n        }\n      }\n      ... on MessageFailed {\n        reason\n        code\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription WebMessageStream($messageId: ID!, $afterSeq: Int) {\n    messageStream(messageId: $messageId, afterSeq: $afterSeq) {\n      __typename\n      messageId\n      seq\n      ... on MessageDelta {\n        delta\n      }\n      ... on MessageCompleted {\n        message {\n          id\n          status\n        }\n      }\n      ... on MessageFailed {\n        reason\n        code\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebModels {\n    models {\n      id\n      displayName\n      provider\n      healthy\n      development\n      contextWindow\n      inputPricePerMTok\n      outputPricePerMTok\n    }\n  }\n"): (typeof documents)["\n  query WebModels {\n    models {\n      id\n      displayName\n      provider\n      healthy\n      development\n      contextWindow\n      inputPricePerMTok\n      outputPricePerMTok\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebTranslation($id: ID!, $to: String!) {\n    message(id: $id) {\n      id\n      translation(to: $to) {\n        text\n        from\n        to\n        provider\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebTranslation($id: ID!, $to: String!) {\n    message(id: $id) {\n      id\n      translation(to: $to) {\n        text\n        from\n        to\n        provider\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebLanguages {\n    supportedLanguages {\n      code\n      name\n    }\n  }\n"): (typeof documents)["\n  query WebLanguages {\n    supportedLanguages {\n      code\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebUpdateSettings($input: UpdateSettingsInput!) {\n    updateSettings(input: $input) {\n      preferredLanguage\n      defaultModel\n      autoTranslate\n    }\n  }\n"): (typeof documents)["\n  mutation WebUpdateSettings($input: UpdateSettingsInput!) {\n    updateSettings(input: $input) {\n      preferredLanguage\n      defaultModel\n      autoTranslate\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebBudget {\n    myBudget {\n      dailyLimitUsd\n      monthlyLimitUsd\n      spentTodayUsd\n      spentThisMonthUsd\n    }\n    myUsage {\n      requests\n      promptTokens\n      completionTokens\n      costUsd\n      byModel {\n        model\n        requests\n        costUsd\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebBudget {\n    myBudget {\n      dailyLimitUsd\n      monthlyLimitUsd\n      spentTodayUsd\n      spentThisMonthUsd\n    }\n    myUsage {\n      requests\n      promptTokens\n      completionTokens\n      costUsd\n      byModel {\n        model\n        requests\n        costUsd\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebAccount {\n    me {\n      id\n      sessions {\n        id\n        userAgent\n        createdAt\n        lastUsedAt\n        current\n      }\n      apiKeys {\n        id\n        name\n        scopes\n        createdAt\n        lastUsedAt\n      }\n      linkedIdentities {\n        provider\n        email\n        linkedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebAccount {\n    me {\n      id\n      sessions {\n        id\n        userAgent\n        createdAt\n        lastUsedAt\n        current\n      }\n      apiKeys {\n        id\n        name\n        scopes\n        createdAt\n        lastUsedAt\n      }\n      linkedIdentities {\n        provider\n        email\n        linkedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebRevokeSession($id: ID!) {\n    revokeSession(id: $id)\n  }\n"): (typeof documents)["\n  mutation WebRevokeSession($id: ID!) {\n    revokeSession(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n  }\n"): (typeof documents)["\n  mutation WebChangePassword($currentPassword: String!, $newPassword: String!) {\n    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebCreateApiKey($name: String!, $scopes: [String!]) {\n    createApiKey(name: $name, scopes: $scopes) {\n      key\n      apiKey {\n        id\n        name\n        scopes\n        createdAt\n        lastUsedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation WebCreateApiKey($name: String!, $scopes: [String!]) {\n    createApiKey(name: $name, scopes: $scopes) {\n      key\n      apiKey {\n        id\n        name\n        scopes\n        createdAt\n        lastUsedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebRevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id)\n  }\n"): (typeof documents)["\n  mutation WebRevokeApiKey($id: ID!) {\n    revokeApiKey(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebModerationFlags($first: Int!, $after: String) {\n    moderationFlags(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          userId\n          conversationId\n          messageId\n          direction\n          category\n          action\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebModerationFlags($first: Int!, $after: String) {\n    moderationFlags(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          userId\n          conversationId\n          messageId\n          direction\n          category\n          action\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebUsageReport {\n    usageReport {\n      from\n      to\n      requests\n      costUsd\n      byModel {\n        model\n        requests\n        costUsd\n      }\n      byUser(first: 20) {\n        user {\n          id\n          email\n        }\n        requests\n        costUsd\n      }\n    }\n  }\n"): (typeof documents)["\n  query WebUsageReport {\n    usageReport {\n      from\n      to\n      requests\n      costUsd\n      byModel {\n        model\n        requests\n        costUsd\n      }\n      byUser(first: 20) {\n        user {\n          id\n          email\n        }\n        requests\n        costUsd\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;