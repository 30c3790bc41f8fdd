import { EntitySchema } from '@mikro-orm/postgresql';
import { Migration } from '@mikro-orm/migrations';

/** The smallest schema these suites need: one table of notes in the "notes" schema, made by one migration. */
export class Note {
  id!: number;
  text!: string;
  writtenAt?: Date | null;
}

export const NoteSchema = new EntitySchema<Note>({
  class: Note,
  tableName: 'note',
  properties: {
    id: { type: 'integer', primary: true },
    text: { type: 'string' },
    writtenAt: { type: 'Date', fieldName: 'written_at', nullable: true },
  },
});

class CreateNotes extends Migration {
  override async up(): Promise<void> {
    this.addSql('create schema if not exists "notes"');
    this.addSql('create table "notes"."note" ("id" integer primary key, "text" text not null, "written_at" timestamptz null)');
  }
}

export const noteMigrations = [{ name: '20261127-create-notes', class: CreateNotes }];
