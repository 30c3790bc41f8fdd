import { ArrayType, EntitySchema } from '@mikro-orm/postgresql';

export class User {
  id!: string;
  /** Normalized: trimmed and lower-cased, so uniqueness means what a person expects. */
  email!: string;
  displayName!: string;
  roles: string[] = ['user'];
  preferredLanguage = 'en';
  defaultModel: string | null = null;
  autoTranslate = false;
  /** argon2id; null for accounts that only sign in through an identity provider. */
  passwordHash: string | null = null;
  passwordChangedAt: Date | null = null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: 'user',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'string', unique: true },
    displayName: { type: 'string' },
    roles: { type: ArrayType, columnType: 'text[]' },
    preferredLanguage: { type: 'string' },
    defaultModel: { type: 'string', nullable: true },
    autoTranslate: { type: 'boolean' },
    passwordHash: { type: 'text', nullable: true, lazy: true },
    passwordChangedAt: { type: 'datetime', columnType: 'timestamptz', nullable: true },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
    updatedAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
