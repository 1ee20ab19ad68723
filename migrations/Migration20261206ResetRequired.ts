import { Migration } from '@mikro-orm/migrations';

/** An account whose password is compromised: the password signs nothing in until the emailed reset link is used. */
export class Migration20261206ResetRequired extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "users" add "reset_required_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "users" drop column "reset_required_at";`);
  }
}
