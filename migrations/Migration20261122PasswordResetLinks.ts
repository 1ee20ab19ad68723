import { Migration } from '@mikro-orm/migrations';

/**
 * Password reset links become verification links (purpose 'password_reset'), which a newer link,
 * the use of another or a password change voids. Links still open move over; of a user's open
 * links only the newest keeps working.
 */
export class Migration20261122PasswordResetLinks extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `insert into "verification_links" ("id", "user_id", "purpose", "new_email", "created_at", "expires_at", "used_at", "voided_at") select "id", "user_id", 'password_reset', null, "created_at", "expires_at", "used_at", null from "password_reset_tokens";`,
    );
    this.addSql(
      `update "verification_links" v set "voided_at" = now() where v."purpose" = 'password_reset' and v."used_at" is null and v."voided_at" is null and exists (select 1 from "verification_links" w where w."user_id" = v."user_id" and w."purpose" = 'password_reset' and (w."created_at", w."id") > (v."created_at", v."id"));`,
    );
    this.addSql(`drop table "password_reset_tokens";`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `create table "password_reset_tokens" ("id" varchar(64) not null, "user_id" uuid not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "password_reset_tokens" add constraint "password_reset_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
    this.addSql(
      `insert into "password_reset_tokens" ("id", "user_id", "created_at", "expires_at", "used_at") select "id", "user_id", "created_at", "expires_at", coalesce("used_at", "voided_at") from "verification_links" where "purpose" = 'password_reset';`,
    );
    this.addSql(`delete from "verification_links" where "purpose" = 'password_reset';`);
  }
}
