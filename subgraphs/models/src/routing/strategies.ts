import { UnreachableCaseError } from '@parley/errors';
import type { DeploymentConfig, Strategy } from '../catalog/models-config';
import type { DeploymentStates } from './deployment-state';

/**
 * Orders the candidate deployments of a request: the router tries them in this
 * order, skipping unavailable ones and moving on when one fails.
 */
export function createStrategies(states: DeploymentStates) {
  // Smooth weighted round-robin (as nginx does): per candidate set, a current weight per deployment.
  const weighted = new Map<string, Map<string, number>>();

  function weightedOrder(candidates: DeploymentConfig[]): DeploymentConfig[] {
    const key = candidates.map((c) => c.id).join(',');
    const current = weighted.get(key) ?? new Map(candidates.map((c) => [c.id, 0]));
    weighted.set(key, current);
    const total = candidates.reduce((sum, c) => sum + c.weight, 0);
    for (const c of candidates) current.set(c.id, current.get(c.id)! + c.weight);
    const chosen = candidates.reduce((best, c) => (current.get(c.id)! > current.get(best.id)! ? c : best));
    current.set(chosen.id, current.get(chosen.id)! - total);
    return [chosen, ...candidates.filter((c) => c !== chosen).sort((a, b) => b.weight - a.weight)];
  }

  return {
    order(strategy: Strategy, all: DeploymentConfig[], promptTokens: number, maxTokens: number): DeploymentConfig[] {
      // Whatever the strategy, a deployment whose context window cannot hold prompt and reply is no candidate.
      const candidates = all.filter((d) => d.contextWindow >= promptTokens + Math.max(maxTokens, 1));
      switch (strategy) {
        case 'priority':
          return [...candidates].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
        case 'weighted':
          return weightedOrder(candidates);
        case 'least-latency':
          // Unmeasured deployments first (so every one gets measured), then the fastest.
          return [...candidates].sort((a, b) => (states.get(a.id).ttftMs ?? -1) - (states.get(b.id).ttftMs ?? -1));
        case 'cheapest': {
          const cost = (d: DeploymentConfig) => promptTokens * d.inputPricePerMTok + maxTokens * d.outputPricePerMTok;
          return [...candidates].sort((a, b) => cost(a) - cost(b) || a.priority - b.priority);
        }
        default:
          throw new UnreachableCaseError(strategy);
      }
    },
  };
}
