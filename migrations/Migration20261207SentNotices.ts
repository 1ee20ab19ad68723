import { Migration } from '@mikro-orm/migrations';

/** Deadline warnings that went out (password expiry, inactivity): at most one per user, kind, deadline and day count. */
export class Migration20261207SentNotices extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "sent_notices" ("id" uuid not null, "user_id" uuid not null, "kind" varchar(32) not null, "deadline" timestamptz not null, "days_before" int not null, "sent_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "sent_notices" add constraint "sent_notices_user_id_kind_deadline_days_before_unique" unique ("user_id", "kind", "deadline", "days_before");`,
    );
    this.addSql(
      `alter table "sent_notices" add constraint "sent_notices_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "sent_notices" cascade;`);
  }
}
