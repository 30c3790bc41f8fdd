import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../src/catalog/models-config';
import { createDeploymentStates } from '../src/routing/deployment-state';
import { createStrategies } from '../src/routing/strategies';

const deployment = (id: string, overrides: Partial<DeploymentConfig>): DeploymentConfig => ({
  id,
  model: 'x/y',
  displayName: id,
  provider: 'dev',
  contextWindow: 1_000,
  inputPricePerMTok: 1,
  outputPricePerMTok: 1,
  weight: 1,
  priority: 1,
  maxConcurrency: 10,
  timeoutMs: 1_000,
  tags: [],
  shareCache: false,
  firstTokenDelayMs: 0,
  tokenDelayMs: 0,
  ...overrides,
});

describe('routing strategies', () => {
  const small = deployment('small', { contextWindow: 100, priority: 1, inputPricePerMTok: 0.1, outputPricePerMTok: 0.1 });
  const large = deployment('large', { contextWindow: 10_000, priority: 2, inputPricePerMTok: 5, outputPricePerMTok: 5 });
  const strategies = createStrategies(createDeploymentStates(['small', 'large']));

  it.each(['priority', 'weighted', 'least-latency', 'cheapest'] as const)(
    '%s never picks a deployment whose window cannot hold prompt and reply',
    (strategy) => {
      expect(strategies.order(strategy, [small, large], 60, 500).map((d) => d.id)).toEqual(['large']);
      expect(strategies.order(strategy, [small, large], 20, 10).map((d) => d.id)).toContain('small');
    },
  );

  it('orders by price for cheapest and by priority for priority', () => {
    expect(strategies.order('cheapest', [large, small], 10, 10).map((d) => d.id)).toEqual(['small', 'large']);
    expect(strategies.order('priority', [large, small], 10, 10).map((d) => d.id)).toEqual(['small', 'large']);
  });

  it('spreads weighted traffic in proportion to weight', () => {
    const heavy = deployment('heavy', { weight: 3 });
    const light = deployment('light', { weight: 1 });
    const weighted = createStrategies(createDeploymentStates(['heavy', 'light']));
    const firsts = Array.from({ length: 8 }, () => weighted.order('weighted', [heavy, light], 10, 10)[0]!.id);
    expect(firsts.filter((id) => id === 'heavy')).toHaveLength(6);
    expect(firsts.filter((id) => id === 'light')).toHaveLength(2);
  });
});
