import { Migration } from '@mikro-orm/migrations';

/** upstream OpenID Connect providers of tenants, and users' identities at them (docs/federation.md) */
export class Migration20261121Federation extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "upstream_providers" ("id" uuid not null, "tenant_id" uuid not null, "slug" varchar(64) not null, "label" varchar(100) not null, "logo_url" varchar(2048) null, "issuer" varchar(2048) not null, "client_id" varchar(255) not null, "client_secret_sealed" text not null, "scopes" varchar(512) not null, "domains" jsonb not null, "exclusive" boolean not null default false, "provision_role" varchar(16) null, "mfa_amr" jsonb not null, "mfa_acr" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "upstream_providers" add constraint "upstream_providers_tenant_id_slug_unique" unique ("tenant_id", "slug");`);
    this.addSql(
      `create table "federated_identities" ("id" uuid not null, "user_id" uuid not null, "provider_id" uuid not null, "issuer" varchar(2048) not null, "subject" varchar(255) not null, "email" varchar(320) null, "created_at" timestamptz not null, "last_used_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "federated_identities_user_id_index" on "federated_identities" ("user_id");`);
    this.addSql(
      `alter table "federated_identities" add constraint "federated_identities_provider_id_issuer_subject_unique" unique ("provider_id", "issuer", "subject");`,
    );
    this.addSql(
      `alter table "upstream_providers" add constraint "upstream_providers_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "federated_identities" add constraint "federated_identities_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "federated_identities" add constraint "federated_identities_provider_id_foreign" foreign key ("provider_id") references "upstream_providers" ("id") on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "federated_identities";`);
    this.addSql(`drop table if exists "upstream_providers";`);
  }
}
