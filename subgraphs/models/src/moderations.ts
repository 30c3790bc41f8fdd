import { BadUserInputError, UpstreamUnavailableError } from '@parley/errors';
import type { Logger } from '@parley/runtime';
import { ProviderError } from './providers/chat-provider';
import type { ModerationProvider, ModerationVerdict } from './providers/moderation-provider';
import type { DeploymentStates } from './routing/deployment-state';
import type { Router } from './routing/router';

export interface ModerationInput {
  /** A model id or alias, as for chat; the configured default when absent. */
  model?: string | undefined;
  inputs: string[];
  signal: AbortSignal;
}

export interface ModerationOutcome {
  /** The model id of the deployment that answered. */
  model: string;
  deployment: string;
  /** One per input, in order. */
  results: ModerationVerdict[];
}

/**
 * Moderation through the providers: the model (or alias) resolves to its
 * deployments as for chat, and they are asked in order — healthy ones first,
 * then by priority — until one answers. Moderation is not billed, not cached
 * and leaves the chat circuit breakers alone (a provider without a moderation
 * endpoint must not take its chat traffic down). When none answers, an
 * UpstreamUnavailableError says which deployment failed how.
 */
export function createModerations({
  router,
  providers,
  states,
  defaultModel,
  logger,
  now = Date.now,
}: {
  router: Router;
  providers: Map<string, ModerationProvider>;
  states: DeploymentStates;
  defaultModel: string | undefined;
  logger: Logger;
  now?: () => number;
}) {
  async function moderate({ model, inputs, signal }: ModerationInput): Promise<ModerationOutcome> {
    const requested = model ?? defaultModel;
    if (requested === undefined)
      throw new BadUserInputError(
        'No moderation model: name one in "model", or set MODERATION_MODEL on the models service to a model id of its models file.',
        { field: 'model', code: 'model_not_found' },
      );
    const rank = (id: string) => (states.available(id, now()) ? 0 : 1);
    const ordered = [...router.resolve(requested).candidates].sort((a, b) => rank(a.id) - rank(b.id) || a.priority - b.priority);
    const failures: string[] = [];
    let lastError: unknown;
    for (const deployment of ordered) {
      try {
        const results = await providers.get(deployment.id)!.moderate(inputs, signal);
        return { model: deployment.model, deployment: deployment.id, results };
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        lastError = error;
        failures.push(`deployment "${deployment.id}": ${describe(error)}`);
        logger.warn({ deployment: deployment.id, err: error }, 'moderation failed');
      }
    }
    throw new UpstreamUnavailableError(
      `Moderation with "${requested}" is unavailable (${failures.join('; ')}); try again shortly.`,
      {},
      {
        cause: lastError,
      },
    );
  }

  return { moderate };
}

export type Moderations = ReturnType<typeof createModerations>;

function describe(error: unknown): string {
  if (!(error instanceof ProviderError)) return 'the provider failed';
  const message = error.message.charAt(0).toLowerCase() + error.message.slice(1);
  // A provider that has no moderation endpoint answers 404 or 405: say so, it is a configuration problem.
  if (error.status === 404 || error.status === 405)
    return `${message}; check that it offers an OpenAI-compatible /moderations endpoint and that its upstreamModel is a moderation model`;
  return message;
}
