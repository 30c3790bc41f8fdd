import type { Logger } from '@parley/runtime';
import type { DeploymentConfig } from '../catalog/models-config';
import type { ChatProvider } from '../providers/chat-provider';
import type { DeploymentStates } from './deployment-state';

/**
 * Active health checks: every interval each OpenAI-compatible deployment is
 * probed (its model list); a failing one is skipped by the router until a
 * probe succeeds again. Built-in models are always healthy.
 */
export function startHealthChecks({
  deployments,
  providers,
  states,
  intervalMs,
  logger,
}: {
  deployments: DeploymentConfig[];
  providers: Map<string, ChatProvider>;
  states: DeploymentStates;
  intervalMs: number;
  logger: Logger;
}): { checkNow(): Promise<void>; stop(): void } {
  const probed = deployments.filter((d) => d.provider !== 'dev');
  async function checkNow() {
    await Promise.all(
      probed.map(async (d) => {
        const state = states.get(d.id);
        try {
          await providers.get(d.id)!.probe(AbortSignal.timeout(5_000));
          if (!state.healthy) logger.info({ deployment: d.id }, 'deployment is healthy again');
          state.healthy = true;
          state.lastHealthError = null;
        } catch (error) {
          if (state.healthy) logger.warn({ deployment: d.id, err: error }, 'deployment failed its health check');
          state.healthy = false;
          state.lastHealthError = (error as Error).message;
        }
      }),
    );
  }
  const timer = intervalMs > 0 && probed.length > 0 ? setInterval(() => void checkNow(), intervalMs) : undefined;
  timer?.unref();
  return { checkNow, stop: () => clearInterval(timer) };
}
