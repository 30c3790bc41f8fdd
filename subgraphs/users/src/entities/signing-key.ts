import { EntitySchema, JsonType } from '@mikro-orm/postgresql';
import type { JWK } from 'jose';

/** An access-token signing key pair; the newest active one signs, all unexpired ones verify. */
export class SigningKey {
  kid!: string;
  algorithm!: string;
  publicJwk!: JWK;
  privateJwk!: JWK;
  createdAt!: Date;
  /** After this, the key no longer signs; it still verifies until its last token expires. */
  retiredAt: Date | null = null;
}

export const SigningKeySchema = new EntitySchema<SigningKey>({
  class: SigningKey,
  tableName: 'signing_key',
  properties: {
    kid: { type: 'string', primary: true },
    algorithm: { type: 'string' },
    publicJwk: { type: JsonType, columnType: 'jsonb' },
    privateJwk: { type: JsonType, columnType: 'jsonb' },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
    retiredAt: { type: 'datetime', columnType: 'timestamptz', nullable: true },
  },
});
