import { graphql } from '../generated';

/**
 * Every operation the web client sends, typed by codegen from the composed
 * API schema (`npm run codegen` writes src/generated). Components import the
 * documents from here, so one place shows what the client asks of the graph.
 */

export const MessageFields = graphql(`
  fragment MessageFields on Message {
    id
    role
    content
    status
    createdAt
    parentId
    lastSeq
    requestedModel
    failure {
      code
      reason
    }
    model {
      id
      displayName
      development
    }
    usage {
      promptTokens
      completionTokens
      costUsd
    }
    siblings {
      id
      status
      model {
        id
        displayName
      }
    }
  }
`);

export const ViewerQuery = graphql(`
  query WebViewer {
    me {
      id
      email
      displayName
      roles
      settings {
        preferredLanguage
        defaultModel
        autoTranslate
      }
    }
  }
`);

export const IdentityProvidersQuery = graphql(`
  query WebIdentityProviders {
    identityProviders {
      id
      displayName
    }
  }
`);

export const StartOidcLoginMutation = graphql(`
  mutation WebStartOidcLogin($provider: ID!, $redirectUri: String!) {
    startOidcLogin(provider: $provider, redirectUri: $redirectUri) {
      authorizationUrl
      state
    }
  }
`);

export const ConversationsQuery = graphql(`
  query WebConversations($first: Int!, $after: String, $search: String) {
    conversations(first: $first, after: $after, search: $search) {
      edges {
        cursor
        node {
          id
          title
          updatedAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const ConversationQuery = graphql(`
  query WebConversation($id: ID!, $first: Int!, $after: String) {
    conversation(id: $id) {
      id
      title
      updatedAt
      messages(first: $first, after: $after) {
        edges {
          cursor
          node {
            ...MessageFields
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const MessageQuery = graphql(`
  query WebMessage($id: ID!) {
    message(id: $id) {
      ...MessageFields
      conversation {
        id
        title
        updatedAt
      }
    }
  }
`);

export const SendMessageMutation = graphql(`
  mutation WebSendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      conversation {
        id
        title
        updatedAt
      }
      userMessage {
        ...MessageFields
      }
      assistantMessage {
        ...MessageFields
      }
      assistantMessages {
        ...MessageFields
      }
    }
  }
`);

export const RegenerateMutation = graphql(`
  mutation WebRegenerate($messageId: ID!, $model: String) {
    regenerateMessage(messageId: $messageId, model: $model) {
      conversation {
        id
      }
      assistantMessage {
        ...MessageFields
      }
    }
  }
`);

export const EditMessageMutation = graphql(`
  mutation WebEditMessage($messageId: ID!, $content: String!, $model: String) {
    editMessage(messageId: $messageId, content: $content, model: $model) {
      conversation {
        id
      }
      userMessage {
        ...MessageFields
      }
      assistantMessage {
        ...MessageFields
      }
    }
  }
`);

export const CancelMutation = graphql(`
  mutation WebCancel($messageId: ID!) {
    cancelGeneration(messageId: $messageId) {
      ...MessageFields
    }
  }
`);

export const SelectBranchMutation = graphql(`
  mutation WebSelectBranch($messageId: ID!) {
    selectBranch(messageId: $messageId) {
      id
    }
  }
`);

export const RenameConversationMutation = graphql(`
  mutation WebRenameConversation($id: ID!, $title: String!) {
    renameConversation(id: $id, title: $title) {
      id
      title
      updatedAt
    }
  }
`);

export const DeleteConversationMutation = graphql(`
  mutation WebDeleteConversation($id: ID!) {
    deleteConversation(id: $id)
  }
`);

export const MessageStreamSubscription = graphql(`
  subscription WebMessageStream($messageId: ID!, $afterSeq: Int) {
    messageStream(messageId: $messageId, afterSeq: $afterSeq) {
      __typename
      messageId
      seq
      ... on MessageDelta {
        delta
      }
      ... on MessageCompleted {
        message {
          id
          status
        }
      }
      ... on MessageFailed {
        reason
        code
      }
    }
  }
`);

export const ModelsQuery = graphql(`
  query WebModels {
    models {
      id
      displayName
      provider
      healthy
      development
      contextWindow
      inputPricePerMTok
      outputPricePerMTok
    }
  }
`);

export const TranslationQuery = graphql(`
  query WebTranslation($id: ID!, $to: String!) {
    message(id: $id) {
      id
      translation(to: $to) {
        text
        from
        to
        provider
      }
    }
  }
`);

export const LanguagesQuery = graphql(`
  query WebLanguages {
    supportedLanguages {
      code
      name
    }
  }
`);

export const UpdateSettingsMutation = graphql(`
  mutation WebUpdateSettings($input: UpdateSettingsInput!) {
    updateSettings(input: $input) {
      preferredLanguage
      defaultModel
      autoTranslate
    }
  }
`);

export const BudgetQuery = graphql(`
  query WebBudget {
    myBudget {
      dailyLimitUsd
      monthlyLimitUsd
      spentTodayUsd
      spentThisMonthUsd
    }
    myUsage {
      requests
      promptTokens
      completionTokens
      costUsd
      byModel {
        model
        requests
        costUsd
      }
    }
  }
`);

export const AccountQuery = graphql(`
  query WebAccount {
    me {
      id
      sessions {
        id
        userAgent
        createdAt
        lastUsedAt
        current
      }
      apiKeys {
        id
        name
        scopes
        createdAt
        lastUsedAt
      }
      linkedIdentities {
        provider
        email
        linkedAt
      }
    }
  }
`);

export const RevokeSessionMutation = graphql(`
  mutation WebRevokeSession($id: ID!) {
    revokeSession(id: $id)
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation WebChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`);

export const CreateApiKeyMutation = graphql(`
  mutation WebCreateApiKey($name: String!, $scopes: [String!]) {
    createApiKey(name: $name, scopes: $scopes) {
      key
      apiKey {
        id
        name
        scopes
        createdAt
        lastUsedAt
      }
    }
  }
`);

export const RevokeApiKeyMutation = graphql(`
  mutation WebRevokeApiKey($id: ID!) {
    revokeApiKey(id: $id)
  }
`);

export const ModerationFlagsQuery = graphql(`
  query WebModerationFlags($first: Int!, $after: String) {
    moderationFlags(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          userId
          conversationId
          messageId
          direction
          category
          action
          createdAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const UsageReportQuery = graphql(`
  query WebUsageReport {
    usageReport {
      from
      to
      requests
      costUsd
      byModel {
        model
        requests
        costUsd
      }
      byUser(first: 20) {
        user {
          id
          email
        }
        requests
        costUsd
      }
    }
  }
`);
