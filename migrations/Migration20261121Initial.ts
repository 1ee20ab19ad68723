import { Migration } from '@mikro-orm/migrations';

/**
 * tenants, users, credentials and password history, reset tokens, clients, signing keys, audit
 * events, dev outbox, second factors and recovery codes, trusted devices, verification links,
 * admin API tokens, tenant webhooks and their delivery outbox
 */
export class Migration20261121Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "audit_events" ("id" uuid not null, "tenant_id" uuid null, "user_id" uuid null, "actor" varchar(100) not null, "action" varchar(64) not null, "ip" varchar(64) null, "user_agent" varchar(512) null, "details" jsonb null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "audit_events_tenant_id_created_at_index" on "audit_events" ("tenant_id", "created_at");`);
    this.addSql(`create index "audit_events_user_id_created_at_index" on "audit_events" ("user_id", "created_at");`);
    this.addSql(`create table "lockout_releases" ("key" varchar(128) not null, "released_at" timestamptz not null, primary key ("key"));`);
    this.addSql(
      `create table "outbox_messages" ("id" uuid not null, "channel" varchar(16) not null, "recipient" varchar(320) not null, "subject" varchar(300) not null, "text" text not null, "html" text null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create table "signing_keys" ("kid" varchar(64) not null, "alg" varchar(16) not null, "public_jwk" jsonb not null, "private_sealed" text not null, "created_at" timestamptz not null, "retired_at" timestamptz null, "publish_until" timestamptz null, primary key ("kid"));`,
    );
    this.addSql(
      `create table "tenants" ("id" uuid not null, "name" varchar(64) not null, "display_name" varchar(200) not null, "policy" jsonb not null default '{}', "parent_id" uuid null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "tenants" add constraint "tenants_name_unique" unique ("name");`);
    this.addSql(`create index "tenants_parent_id_index" on "tenants" ("parent_id");`);
    this.addSql(
      `create table "clients" ("id" varchar(64) not null, "tenant_id" uuid not null, "name" varchar(200) not null, "secret_sealed" text null, "first_party" boolean not null default true, "metadata" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `create table "tenant_webhooks" ("id" uuid not null, "tenant_id" uuid not null, "url" varchar(2048) not null, "secret_sealed" text not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "tenant_webhooks" add constraint "tenant_webhooks_tenant_id_unique" unique ("tenant_id");`);
    this.addSql(
      `create table "users" ("id" uuid not null, "tenant_id" uuid not null, "email" varchar(320) not null, "email_verified" boolean not null default false, "first_name" varchar(100) not null default '', "last_name" varchar(100) not null default '', "role" varchar(16) not null default 'member', "status" varchar(16) not null default 'active', "must_change_password" boolean not null default false, "created_at" timestamptz not null, "last_login_at" timestamptz null, "last_second_factor_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`alter table "users" add constraint "users_tenant_id_email_unique" unique ("tenant_id", "email");`);
    this.addSql(
      `create table "trusted_devices" ("id" uuid not null, "user_id" uuid not null, "tenant_id" uuid not null, "token_hash" varchar(64) not null, "name" varchar(64) not null, "ua_family" varchar(64) not null, "os" varchar(64) not null, "ip" varchar(64) not null, "last_ip" varchar(64) not null, "bound_ip" varchar(64) null, "last_used_at" timestamptz not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "trusted_devices" add constraint "trusted_devices_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "trusted_devices_user_id_index" on "trusted_devices" ("user_id");`);
    this.addSql(
      `create table "recovery_codes" ("id" uuid not null, "user_id" uuid not null, "code_hash" varchar(64) not null, "used_at" timestamptz null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "recovery_codes_user_id_index" on "recovery_codes" ("user_id");`);
    this.addSql(
      `create table "password_reset_tokens" ("id" varchar(64) not null, "user_id" uuid not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(
      `create table "password_history" ("id" uuid not null, "user_id" uuid not null, "hash" text not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "password_history_user_id_created_at_index" on "password_history" ("user_id", "created_at");`);
    this.addSql(
      `create table "password_credentials" ("id" uuid not null, "user_id" uuid not null, "hash" text not null, "changed_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`alter table "password_credentials" add constraint "password_credentials_user_id_unique" unique ("user_id");`);
    this.addSql(
      `create table "mfa_factors" ("id" uuid not null, "user_id" uuid not null, "type" varchar(8) not null, "label" varchar(64) not null, "secret_sealed" text null, "phone" varchar(16) null, "confirmed_at" timestamptz null, "last_used_step" int null, "last_used_at" timestamptz null, "preferred" boolean not null default false, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(`create index "mfa_factors_user_id_index" on "mfa_factors" ("user_id");`);
    this.addSql(
      `create table "api_tokens" ("id" uuid not null, "user_id" uuid not null, "tenant_id" uuid not null, "name" varchar(100) not null, "scopes" jsonb not null, "token_hash" varchar(64) not null, "previous_hash" varchar(64) null, "grace_until" timestamptz null, "expires_at" timestamptz not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "api_tokens_user_id_created_at_index" on "api_tokens" ("user_id", "created_at");`);
    this.addSql(
      `create table "verification_links" ("id" varchar(64) not null, "user_id" uuid not null, "purpose" varchar(16) not null, "new_email" varchar(320) null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null, "voided_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "verification_links_user_id_purpose_index" on "verification_links" ("user_id", "purpose");`);
    this.addSql(
      `create table "webhook_deliveries" ("id" uuid not null, "webhook_id" uuid not null, "tenant_id" uuid not null, "event_id" uuid not null, "url" varchar(2048) not null, "body" text not null, "state" varchar(16) not null default 'pending', "attempts" int not null default 0, "next_attempt_at" timestamptz not null, "lease_until" timestamptz null, "lease_id" uuid null, "last_status" int null, "last_error" varchar(200) null, "created_at" timestamptz not null, "completed_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "webhook_deliveries_state_next_attempt_at_index" on "webhook_deliveries" ("state", "next_attempt_at");`);
    this.addSql(`create index "webhook_deliveries_webhook_id_state_index" on "webhook_deliveries" ("webhook_id", "state");`);
    this.addSql(`alter table "clients" add constraint "clients_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`);
    this.addSql(
      `alter table "tenant_webhooks" add constraint "tenant_webhooks_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "users" add constraint "users_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`);
    this.addSql(
      `alter table "trusted_devices" add constraint "trusted_devices_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "trusted_devices" add constraint "trusted_devices_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "recovery_codes" add constraint "recovery_codes_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "password_reset_tokens" add constraint "password_reset_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "password_history" add constraint "password_history_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "password_credentials" add constraint "password_credentials_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "mfa_factors" add constraint "mfa_factors_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "api_tokens" add constraint "api_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(
      `alter table "api_tokens" add constraint "api_tokens_tenant_id_foreign" foreign key ("tenant_id") references "tenants" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "verification_links" add constraint "verification_links_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "webhook_deliveries" add constraint "webhook_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "tenant_webhooks" ("id") on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    for (const table of [
      'webhook_deliveries',
      'tenant_webhooks',
      'api_tokens',
      'verification_links',
      'lockout_releases',
      'outbox_messages',
      'audit_events',
      'trusted_devices',
      'recovery_codes',
      'mfa_factors',
      'password_reset_tokens',
      'password_history',
      'password_credentials',
      'users',
      'clients',
      'tenants',
      'signing_keys',
    ]) {
      this.addSql(`drop table if exists "${table}" cascade;`);
    }
  }
}
