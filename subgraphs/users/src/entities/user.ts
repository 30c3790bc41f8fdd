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
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
    updatedAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
