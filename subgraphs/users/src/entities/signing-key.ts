import { EntitySchema, JsonType } from '@mikro-orm/postgresql';
import type { JWK } from 'jose';

/** An access-token signing key pair; the newest unretired one signs, every unexpired one verifies. */
export class SigningKey {
  kid!: string;
  algorithm!: string;
  publicJwk!: JWK;
  /** The private JWK, encrypted with the key-encryption key (AES-256-GCM). */
  privateKeyCiphertext!: string;
  createdAt!: Date;
  /** From then on the key no longer signs; it verifies until the last token it signed has expired. */
  retiredAt: Date | null = null;
}

export const SigningKeySchema = new EntitySchema<SigningKey>({
  class: SigningKey,
  tableName: 'signing_key',
  properties: {
    kid: { type: 'string', primary: true },
    algorithm: { type: 'string' },
    publicJwk: { type: JsonType, columnType: 'jsonb' },
    privateKeyCiphertext: { type: 'text' },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
    retiredAt: { type: 'datetime', columnType: 'timestamptz', nullable: true },
  },
});
