import { EntitySchema } from '@mikro-orm/postgresql';

/** A signed-in device: one family of refresh tokens, each replacing the previous one. */
export class Session {
  id!: string;
  userId!: string;
  userAgent: string | null = null;
  createdAt!: Date;
  lastUsedAt!: Date;
  revokedAt: Date | null = null;
  /** logout, reuse, password-change, revoked-by-user. */
  revokeReason: string | null = null;
}

export const SessionSchema = new EntitySchema<Session>({
  class: Session,
  tableName: 'session',
  properties: {
    id: { type: 'uuid', primary: true },
    userId: { type: 'uuid' },
    userAgent: { type: 'text', nullable: true },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
    lastUsedAt: { type: 'datetime', columnType: 'timestamptz' },
    revokedAt: { type: 'datetime', columnType: 'timestamptz', nullable: true },
    revokeReason: { type: 'string', nullable: true },
  },
});

/** One refresh token of a session, stored only as a SHA-256 hash. */
export class RefreshToken {
  tokenHash!: string;
  sessionId!: string;
  createdAt!: Date;
  /** Set when it was exchanged: presenting it again is reuse. */
  usedAt: Date | null = null;
}

export const RefreshTokenSchema = new EntitySchema<RefreshToken>({
  class: RefreshToken,
  tableName: 'refresh_token',
  properties: {
    tokenHash: { type: 'string', primary: true },
    sessionId: { type: 'uuid' },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
    usedAt: { type: 'datetime', columnType: 'timestamptz', nullable: true },
  },
});
