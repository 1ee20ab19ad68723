import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { context, propagation, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KoaInstrumentation } from '@opentelemetry/instrumentation-koa';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { IncomingMessage } from 'node:http';
import { routeTemplateOf } from './route-template.ts';
import { redactPath, redactQuery, redactSql } from './redact.ts';

export interface Tracing {
  /** sends the spans still buffered, then stops */
  shutdown(): Promise<void>;
}

// the probes an orchestrator calls every few seconds would drown every other trace
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * OpenTelemetry tracing to an OTLP/HTTP collector: incoming HTTP requests (named by route
 * template), Koa middleware, PostgreSQL queries, Redis commands and outgoing HTTP calls.
 * Must run before koa, pg and ioredis are imported (src/main.ts loads the app after it), because ESM modules are only
 * patched as they load, through the import-in-the-middle loader hook registered here.
 *
 * Nothing secret goes out: URL paths lose their token-like segments (reset and invitation
 * links carry their token in the path), query values are replaced, Redis commands are named
 * without their keys (keys hold authorization codes and opaque tokens), and SQL goes without
 * its string literals.
 */
export async function startTracing(options: { endpoint: string; serviceName: string }): Promise<Tracing> {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${options.endpoint}/v1/traces` }) })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED.has((req.url ?? '').split('?')[0]!),
        startIncomingSpanHook: (req) => safeUrlAttributes(req as IncomingMessage),
        // Koa has routed the request by the time it is answered: name the span by the route template
        applyCustomAttributesOnSpan: (span, req) => {
          // outgoing requests (ClientRequest) carry no template and are left as they are
          const route = routeTemplateOf(req as IncomingMessage);
          if (!route) return;
          span.setAttribute('http.route', route);
          span.updateName(`${(req as IncomingMessage).method ?? 'GET'} ${route}`);
        },
      }),
      // one span per middleware of src/app.ts (each named), so time spent in each layer shows
      new KoaInstrumentation(),
      new PgInstrumentation({
        requireParentSpan: true,
        enhancedDatabaseReporting: false,
        // MikroORM sends SQL with its values written in (emails, hashes, sealed secrets, mail bodies)
        requestHook: (span, info) => {
          if (info.query.text) span.setAttribute('db.query.text', redactSql(info.query.text));
        },
      }),
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  // the loader must know which modules to patch before the app imports them
  await waitForAllMessagesAcknowledged();
  return { shutdown: () => provider.shutdown() };
}

/** url.path and url.query without tokens: they replace what the instrumentation would record */
export function safeUrlAttributes(req: Pick<IncomingMessage, 'url'>): Attributes {
  const raw = req.url ?? '/';
  const at = raw.indexOf('?');
  const path = at === -1 ? raw : raw.slice(0, at);
  const attributes: Attributes = { 'url.path': redactPath(path) };
  if (at !== -1) attributes['url.query'] = redactQuery(raw.slice(at + 1));
  return attributes;
}
