import { Migration } from '@mikro-orm/migrations';

/**
 * A chat reply resumed after its worker died is asked of a model again, under the same message id. The earlier,
 * interrupted attempt keeps its record (tokens and cost, for provider-cost accounting) and names the attempt that
 * replaced it; what a user is charged and shown leaves superseded records out.
 */
export class SupersededUsage extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "models"."usage_record" add column "superseded_by" uuid null references "models"."usage_record" ("id")`);
  }
}
