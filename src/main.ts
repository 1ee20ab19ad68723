import { loadSettings, ConfigError } from './config/load.ts';

/**
 * Process entry: settings -> (tracing) -> container -> server; SIGTERM/SIGINT drain and exit.
 * The app is imported only after tracing has started, so that koa, pg and ioredis load
 * patched; without OTEL_EXPORTER_OTLP_ENDPOINT no OpenTelemetry code is loaded at all.
 */
async function main() {
  const settings = loadSettings();
  const tracing = settings.OTEL_EXPORTER_OTLP_ENDPOINT
    ? await (await import('./lib/tracing.ts')).startTracing({ endpoint: settings.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: 'latchkey' })
    : undefined;
  const { createContainer } = await import('./app/container.ts');
  const { startServer } = await import('./server.ts');
  const container = await createContainer(settings);
  const running = await startServer(container);
  if (tracing) container.logger.info({ endpoint: new URL(settings.OTEL_EXPORTER_OTLP_ENDPOINT!).origin }, 'tracing to OTLP collector');
  const shutdown = (signal: string) => {
    container.logger.info({ signal }, 'shutting down');
    running
      .stop()
      // the last spans go out, unless the collector keeps us waiting past the drain budget
      .then(
        () =>
          tracing &&
          Promise.race([tracing.shutdown(), new Promise((r) => setTimeout(r, 5000).unref())]).catch((err: unknown) =>
            container.logger.warn({ err }, 'tracing shutdown failed'),
          ),
      )
      .then(
        () => process.exit(0),
        (err: unknown) => {
          container.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
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
