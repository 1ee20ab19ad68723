import { Migration } from '@mikro-orm/migrations';

/** users' regional settings and start page (account console); the tenant's logo on hosted pages */
export class Migration20261121AccountSettings extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "users" add column "locale" varchar(16) null, add column "email_locale" varchar(16) null, add column "time_zone" varchar(64) null, add column "date_format" varchar(8) not null default 'auto', add column "time_format" varchar(8) not null default 'auto', add column "distance_unit" varchar(8) not null default 'auto', add column "start_client_id" varchar(64) null;`,
    );
    this.addSql(`alter table "tenants" add column "logo_url" varchar(2048) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "users" drop column "locale", drop column "email_locale", drop column "time_zone", drop column "date_format", drop column "time_format", drop column "distance_unit", drop column "start_client_id";`,
    );
    this.addSql(`alter table "tenants" drop column "logo_url";`);
  }
}
