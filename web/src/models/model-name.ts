import type { WebModelsQuery } from '../generated/graphql';

/**
 * The name to show for the model of a reply: the one that wrote it once
 * known (Message.model), before that the one it was asked of
 * (Message.requestedModel), by its display name from the catalog.
 */
export function replyModelName(
  message: { model?: { displayName: string } | null; requestedModel?: string | null },
  catalog: WebModelsQuery['models'],
): string | null {
  if (message.model) return message.model.displayName;
  if (!message.requestedModel) return null;
  return catalog.find((model) => model.id === message.requestedModel)?.displayName ?? message.requestedModel;
}
