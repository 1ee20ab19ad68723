import { loadSettings, ConfigError } from './config/load.ts';
import { createContainer } from './app/container.ts';
import { startServer } from './server.ts';

/** Process entry: settings -> container -> server; SIGTERM/SIGINT drain and exit. */
async function main() {
  const settings = loadSettings();
  const container = await createContainer(settings);
  const running = await startServer(container);
  const shutdown = (signal: string) => {
    container.logger.info({ signal }, 'shutting down');
    running.stop().then(() => process.exit(0), (err: unknown) => {
      container.logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    for (const problem of err.problems) process.stderr.write(`latchkey: ${problem}\n`);
  } else {
    process.stderr.write(`latchkey: failed to start: ${(err as Error).message}\n`);
  }
  process.exit(1);
});
