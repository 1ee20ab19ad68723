import { Migration } from '@mikro-orm/migrations';

/**
 * At most one active signing key per algorithm. Replicas that started together on an empty
 * table could each create one; of such keys the newest stays active and the others retire,
 * published for a day more (the longest token lifetime allowed) so what they signed still verifies.
 */
export class Migration20261206OneActiveSigningKey extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `update "signing_keys" k set "retired_at" = now(), "publish_until" = now() + interval '1 day' where k."retired_at" is null and exists (select 1 from "signing_keys" n where n."alg" = k."alg" and n."retired_at" is null and (n."created_at", n."kid") > (k."created_at", k."kid"));`,
    );
    this.addSql(`create unique index "signing_keys_one_active_per_alg" on "signing_keys" ("alg") where "retired_at" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "signing_keys_one_active_per_alg";`);
  }
}
