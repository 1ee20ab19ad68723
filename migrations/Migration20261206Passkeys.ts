import { Migration } from '@mikro-orm/migrations';

/** The WebAuthn credentials of passkey factors: public keys only, one row per factor. */
export class Migration20261206Passkeys extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "passkeys" ("factor_id" uuid not null, "user_id" uuid not null, "credential_id" varchar(1400) not null, "public_key" text not null, "sign_count" bigint not null, "transports" jsonb not null, "backup_eligible" boolean not null, "backed_up" boolean not null, "aaguid" varchar(36) not null, primary key ("factor_id"));`,
    );
    this.addSql(`alter table "passkeys" add constraint "passkeys_credential_id_unique" unique ("credential_id");`);
    this.addSql(`create index "passkeys_user_id_index" on "passkeys" ("user_id");`);
    this.addSql(
      `alter table "passkeys" add constraint "passkeys_factor_id_foreign" foreign key ("factor_id") references "mfa_factors" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(`alter table "passkeys" add constraint "passkeys_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "passkeys" cascade;`);
  }
}
