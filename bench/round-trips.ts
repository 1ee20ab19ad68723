// Counts the PostgreSQL queries and Redis commands of one full sign-in (in-process server, after a warm-up).
//   npx node bench/round-trips.ts
import pg from 'pg';
import { Redis } from 'ioredis';
import { createBackend } from '../test/support/backends.ts';
import { startTestServer } from '../test/support/server.ts';
import { cli } from '../test/support/cli.ts';
import { discover, exchange, signIn } from '../test/support/relying-party.ts';

const queries: string[] = [];
let counting = false;
const origQuery = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (...args: any[]) {
  if (counting) queries.push(String(typeof args[0] === 'string' ? args[0] : args[0]?.text).slice(0, 140));
  return (origQuery as any).apply(this, args);
};
const cmds: string[] = [];
const origSend = Redis.prototype.sendCommand;
(Redis.prototype as any).sendCommand = function (cmd: any, ...rest: any[]) {
  if (counting) cmds.push(`${cmd.name} ${String(cmd.args?.[0] ?? '').slice(0, 60)}`);
  return (origSend as any).call(this, cmd, ...rest);
};

const backend = await createBackend('postgres');
const server = await startTestServer(backend, { env: { LOG_LEVEL: 'silent' } });
await cli(server.env, ['tenant', 'create', '--name', 'b']);
await cli(server.env, ['user', 'create', '--tenant', 'b', '--email', 'u@example.com', '--password', 'a bench passphrase that is long enough']);
const c = await cli(server.env, ['client', 'create', '--tenant', 'b', '--name', 'B', '--redirect-uri', 'http://127.0.0.1:9/cb']);
const client = { clientId: String(c.client_id), clientSecret: String(c.client_secret), redirectUri: 'http://127.0.0.1:9/cb' };
const config = await discover(server.url, client);
const creds = { email: 'u@example.com', password: 'a bench passphrase that is long enough' };
await exchange(config, await signIn(config, client, creds));
counting = true;
await exchange(config, await signIn(config, client, creds));
counting = false;
console.log(`PG queries: ${queries.length}`);
for (const q of queries) console.log('  ', q);
console.log(`Redis commands: ${cmds.length}`);
for (const q of cmds) console.log('  ', q);
await server.stop();
await backend.dispose();
process.exit(0);
