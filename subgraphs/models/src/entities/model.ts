import { EntitySchema } from '@mikro-orm/postgresql';

/** A catalog entry: what clients may ask for, and what it costs. */
export class Model {
  id!: string;
  provider!: string;
  displayName!: string;
  contextWindow!: number;
  inputPricePerMTok!: number;
  outputPricePerMTok!: number;
  /** Built-in models that run offline (the dev model). */
  development!: boolean;
  updatedAt!: Date;
}

export const ModelSchema = new EntitySchema<Model>({
  class: Model,
  tableName: 'model',
  properties: {
    id: { type: 'string', primary: true },
    provider: { type: 'string' },
    displayName: { type: 'string' },
    contextWindow: { type: 'integer' },
    inputPricePerMTok: { type: 'double' },
    outputPricePerMTok: { type: 'double' },
    development: { type: 'boolean' },
    updatedAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
