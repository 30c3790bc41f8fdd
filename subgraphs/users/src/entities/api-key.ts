import { ArrayType, EntitySchema } from '@mikro-orm/postgresql';

/** A partner's key. The secret is shown once; only its SHA-256 hash is stored. */
export class ApiKey {
  id!: string;
  userId!: string;
  name!: string;
  secretHash!: string;
  scopes!: string[];
  createdAt!: Date;
  lastUsedAt: Date | null = null;
  revokedAt: Date | null = null;
}

export const ApiKeySchema = new EntitySchema<ApiKey>({
  class: ApiKey,
  tableName: 'api_key',
  properties: {
    id: { type: 'uuid', primary: true },
    userId: { type: 'uuid' },
    name: { type: 'string' },
    secretHash: { type: 'string' },
    scopes: { type: ArrayType, columnType: 'text[]' },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
    lastUsedAt: { type: 'datetime', columnType: 'timestamptz', nullable: true },
    revokedAt: { type: 'datetime', columnType: 'timestamptz', nullable: true },
  },
});
