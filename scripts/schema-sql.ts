// Prints the PostgreSQL DDL the entities describe: a starting point for a new migration.
// Usage: npx node scripts/schema-sql.ts [--diff DATABASE_URL]   (--diff: only what that database lacks)
import { MikroORM } from '@mikro-orm/postgresql';
import { allEntities } from '../src/store/entities/index.ts';

const diffUrl = process.argv[2] === '--diff' ? process.argv[3] : undefined;
const orm = await MikroORM.init({ clientUrl: diffUrl ?? 'postgresql://postgres@127.0.0.1:5432/postgres', entities: allEntities });
process.stdout.write(diffUrl ? await orm.schema.getUpdateSchemaSQL({ wrap: false }) : await orm.schema.getCreateSchemaSQL({ wrap: false }));
await orm.close();
