import { Migration } from '@mikro-orm/migrations';

/** "This wasn't me" links of security notices are verification links (purpose 'not_me') that name their notice. */
export class Migration20261207NotMeLinks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "verification_links" add "notice" varchar(32) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "verification_links" where "purpose" = 'not_me';`);
    this.addSql(`alter table "verification_links" drop column "notice";`);
  }
}
