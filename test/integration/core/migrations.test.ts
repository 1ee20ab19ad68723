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
