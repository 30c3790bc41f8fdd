import { EntitySchema } from '@mikro-orm/postgresql';

/** An account at an external OpenID Connect provider, linked to a user by verified e-mail. */
export class LinkedIdentity {
  provider!: string;
  /** The provider's `sub`: stable, unlike e-mail. */
  subject!: string;
  userId!: string;
  email!: string;
  linkedAt!: Date;
}

export const LinkedIdentitySchema = new EntitySchema<LinkedIdentity>({
  class: LinkedIdentity,
  tableName: 'linked_identity',
  properties: {
    provider: { type: 'string', primary: true },
    subject: { type: 'string', primary: true },
    userId: { type: 'uuid' },
    email: { type: 'string' },
    linkedAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});

/** A started OIDC login: PKCE verifier and nonce kept server-side, keyed by state, for any replica to finish. */
export class OidcLoginAttempt {
  state!: string;
  provider!: string;
  codeVerifier!: string;
  nonce!: string;
  redirectUri!: string;
  expiresAt!: Date;
}

export const OidcLoginAttemptSchema = new EntitySchema<OidcLoginAttempt>({
  class: OidcLoginAttempt,
  tableName: 'oidc_login_attempt',
  properties: {
    state: { type: 'string', primary: true },
    provider: { type: 'string' },
    codeVerifier: { type: 'string' },
    nonce: { type: 'string' },
    redirectUri: { type: 'string' },
    expiresAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
