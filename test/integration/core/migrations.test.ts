import { expect } from 'chai';
import { createBackend, type Backend } from '../../support/backends.ts';
import { cli } from '../../support/cli.ts';
import { openDatabase } from '../../../src/store/database.ts';
import { migrationsList } from '../../../migrations/index.ts';

describe('PostgreSQL migrations', () => {
  let backend: Backend;
  before(async () => {
    backend = await createBackend('postgres');
  });
  after(() => backend.dispose());

  it('apply once through the CLI, then have nothing left to apply', async () => {
    const first = await cli(backend.env, ['migrate']);
    expect(first.applied).to.deep.equal(migrationsList.map((m) => m.name));
    const second = await cli(backend.env, ['migrate']);
    expect(second.applied).to.deep.equal([]);
  });

  it('leave the schema exactly as the entities describe it', async () => {
    const db = await openDatabase({ databaseUrl: backend.env.DATABASE_URL!, dataDir: backend.env.DATA_DIR! });
    try {
      const diff = await db.orm.schema.getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).to.equal('');
    } finally {
      await db.close();
    }
  });
});

describe('PostgreSQL migration to one active signing key per algorithm', () => {
  let backend: Backend;
  before(async () => {
    backend = await createBackend('postgres');
  });
  after(() => backend.dispose());

  it('keeps the newest of several active keys of an algorithm and retires the others, published one more day', async () => {
    const db = await openDatabase({ databaseUrl: backend.env.DATABASE_URL!, dataDir: backend.env.DATA_DIR! });
    try {
      await db.orm.migrator.up({ to: 'Migration20261122PasswordResetLinks' });
      const row = (kid: string, alg: string, createdAt: string) =>
        db.orm.em
          .getConnection()
          .execute(`insert into "signing_keys" ("kid", "alg", "public_jwk", "private_sealed", "created_at") values (?, ?, '{}', 'sealed', ?)`, [
            kid,
            alg,
            createdAt,
          ]);
      await row('es-old', 'ES256', '2026-01-01T00:00:00Z');
      await row('es-new', 'ES256', '2026-01-01T00:00:01Z');
      await row('rs-only', 'RS256', '2026-01-01T00:00:00Z');
      await db.migrate();
      const rows = (await db.orm.em
        .getConnection()
        .execute(
          `select "kid", "retired_at" is not null as retired, round(extract(epoch from "publish_until" - "retired_at") / 3600) as published_hours from "signing_keys" order by "kid"`,
        )) as { kid: string; retired: boolean; published_hours: string | null }[];
      expect(rows.map((r) => ({ ...r, published_hours: r.published_hours === null ? null : Number(r.published_hours) }))).to.deep.equal([
        { kid: 'es-new', retired: false, published_hours: null },
        { kid: 'es-old', retired: true, published_hours: 24 },
        { kid: 'rs-only', retired: false, published_hours: null },
      ]);
    } finally {
      await db.close();
    }
  });
});
