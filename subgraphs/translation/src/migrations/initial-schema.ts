import { Migration } from '@mikro-orm/migrations';

const LANGUAGES: [string, string][] = [
  ['ar', 'Arabic'],
  ['de', 'German'],
  ['en', 'English'],
  ['es', 'Spanish'],
  ['fr', 'French'],
  ['hi', 'Hindi'],
  ['id', 'Indonesian'],
  ['it', 'Italian'],
  ['ja', 'Japanese'],
  ['ko', 'Korean'],
  ['nl', 'Dutch'],
  ['pl', 'Polish'],
  ['pt', 'Portuguese'],
  ['ru', 'Russian'],
  ['th', 'Thai'],
  ['tr', 'Turkish'],
  ['uk', 'Ukrainian'],
  ['vi', 'Vietnamese'],
  ['zh-CN', 'Chinese (Simplified)'],
  ['zh-TW', 'Chinese (Traditional)'],
];

export class InitialTranslationSchema extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "translation"`);
    this.addSql(`create table "translation"."language" ("code" text primary key, "name" text not null)`);
    for (const [code, name] of LANGUAGES) {
      this.addSql(`insert into "translation"."language" ("code", "name") values ('${code}', '${name}')`);
    }
  }
}
