import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { allEntities } from './entities/index.ts';
import { migrationsList } from '../../migrations/index.ts';

export interface Database {
  readonly kind: 'postgres' | 'sqlite';
  readonly orm: MikroORM;
  /** a fresh unit of work; every request and job takes its own */
  em(): EntityManager;
  /** true when the database answers a trivial query */
  ping(): Promise<boolean>;
  /** names of PostgreSQL migrations not yet applied (always empty for SQLite) */
  pendingMigrations(): Promise<string[]>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
}

/** PostgreSQL when a URL is given, else the embedded SQLite file under dataDir. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openSqlite(options.dataDir);
}

async function openPostgres(url: string): Promise<Database> {
  const { MikroORM } = await import('@mikro-orm/postgresql');
  const { Migrator } = await import('@mikro-orm/migrations');
  const orm = await MikroORM.init({
    clientUrl: url,
    entities: allEntities,
    extensions: [Migrator],
    migrations: { migrationsList, silent: true, transactional: true, allOrNothing: true, snapshot: false },
    pool: { min: 0, max: 10 },
    driverOptions: { connectionTimeoutMillis: 3000 },
    allowGlobalContext: false,
    debug: false,
  });
  return wrap('postgres', orm, {
    pending: async () => (await orm.migrator.getPending()).map((m) => m.name),
    migrate: async () => (await orm.migrator.up()).map((m) => m.name),
  });
}

async function openSqlite(dataDir: string): Promise<Database> {
  const { MikroORM } = await import('@mikro-orm/sqlite');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const orm = await MikroORM.init({
    dbName: join(dataDir, 'latchkey.sqlite'),
    entities: allEntities,
    allowGlobalContext: false,
    debug: false,
  });
  // The embedded default creates and evolves its schema from the entities.
  await orm.schema.update();
  return wrap('sqlite', orm, { pending: async () => [], migrate: async () => [] });
}

function wrap(kind: Database['kind'], orm: MikroORM, migrations: { pending(): Promise<string[]>; migrate(): Promise<string[]> }): Database {
  return {
    kind,
    orm,
    em: () => orm.em.fork(),
    ping: async () => {
      try {
        await orm.em.getConnection().execute('select 1');
        return true;
      } catch {
        return false;
      }
    },
    pendingMigrations: migrations.pending,
    migrate: migrations.migrate,
    close: () => orm.close(true),
  };
}
