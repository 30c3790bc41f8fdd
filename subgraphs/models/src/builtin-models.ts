import type { Model } from './entities/model';

export type CatalogEntry = Omit<Model, 'updatedAt'>;

/** Models that need no provider: they let the whole platform run offline and in tests. */
export const builtinModels: CatalogEntry[] = [
  {
    id: 'dev/echo',
    provider: 'dev',
    displayName: 'Echo (development model)',
    contextWindow: 32_768,
    inputPricePerMTok: 0,
    outputPricePerMTok: 0,
    development: true,
  },
];
