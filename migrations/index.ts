import { Migration20261121Initial } from './Migration20261121Initial.ts';

/** Every PostgreSQL migration, oldest first. New migrations are appended here. */
export const migrationsList = [
  { name: 'Migration20261121Initial', class: Migration20261121Initial },
];
