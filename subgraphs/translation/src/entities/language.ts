import { EntitySchema } from '@mikro-orm/postgresql';

/** A language translation accepts, by BCP 47 tag. */
export class Language {
  code!: string;
  name!: string;
}

export const LanguageSchema = new EntitySchema<Language>({
  class: Language,
  tableName: 'language',
  properties: {
    code: { type: 'string', primary: true },
    name: { type: 'string' },
  },
});
