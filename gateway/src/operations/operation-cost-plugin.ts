import type { ApolloServerPlugin } from '@apollo/server';
import { operationCost, operationCostRefusal } from '@parley/runtime';

/** Refuses operations costing more than `maxCost`, with the figures, before the gateway plans or fetches anything. */
export function operationCostPlugin(maxCost: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request }) {
          const cost = operationCost(schema, document, operationName, request.variables ?? {});
          if (cost > maxCost) throw operationCostRefusal(cost, maxCost);
        },
      };
    },
  };
}
