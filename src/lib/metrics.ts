import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Latchkey's Prometheus metrics. Every label value comes from a fixed set (route templates,
 * audit actions, factor names, grant types), never from what a request carries, so the
 * number of series stays bounded whatever clients send.
 */
export interface Metrics {
  readonly registry: Registry;
  /** one answered HTTP request; `route` is the matched route template or 'other' */
  request(route: string, method: string, status: number, seconds: number): void;
  /** one audit event (see securityEvent below for what it feeds) */
  securityEvent(action: string, details?: Record<string, unknown>): void;
  /** a token, ID token or authorization code handed out */
  tokenIssued(type: TokenType, grant: string): void;
  /** Redis or PostgreSQL failed: a connection error, a failed /readyz check, or a request it broke */
  storeError(store: StoreName, source: StoreErrorSource): void;
  /** argon2 work refused because the queue was full (the request got 503) */
  argon2Refused(): void;
}

export type TokenType = 'access_token' | 'refresh_token' | 'id_token' | 'authorization_code';
export type StoreName = 'redis' | 'database';
export type StoreErrorSource = 'connection' | 'readiness' | 'request';

export interface Argon2Load {
  readonly active: number;
  readonly queued: number;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const GRANTS = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'implicit',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:token-exchange',
]);
const SIGN_IN_RESULTS: Record<string, string> = {
  'signin.succeeded': 'succeeded',
  'signin.failed': 'failed',
  'signin.refused_locked': 'locked',
  'signin.throttled_ip': 'throttled',
  'signin.denied_network': 'denied_network',
};
const SECOND_FACTOR_RESULTS: Record<string, string> = {
  'mfa.code_sent': 'sent',
  'mfa.succeeded': 'succeeded',
  'mfa.failed': 'failed',
  'mfa.voided': 'voided',
};
// audit actions are a closed list in src/accounts/audit.ts; anything else would be a bug, not a new series
const ACTION = /^[a-z_]+\.[a-z_]+$/;

/** `argon2` is read at each scrape (a function, so the limiter may be made after the metrics that count its refusals) */
export function createMetrics(deps: {
  argon2: () => Argon2Load;
  /** the second-factor methods a `factor` label may name (src/policy/factor-types.ts); any other is 'other' */
  factorLabels: readonly string[];
  defaultMetrics?: boolean;
}): Metrics {
  const factors = new Set(deps.factorLabels);
  const registry = new Registry();
  if (deps.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: 'latchkey_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status class',
    labelNames: ['route', 'method', 'status_class'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template, method and status class',
    labelNames: ['route', 'method', 'status_class'] as const,
    registers,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const securityEvents = new Counter({
    name: 'latchkey_security_events_total',
    help: 'Security events written to the audit log, by action',
    labelNames: ['action'] as const,
    registers,
  });
  const signIns = new Counter({
    name: 'latchkey_signins_total',
    help: 'Password sign-in attempts, by result (succeeded, failed, locked, throttled, denied_network)',
    labelNames: ['result'] as const,
    registers,
  });
  // every result is shown from the start, so a rate() over it has a series before the first event
  for (const result of Object.values(SIGN_IN_RESULTS)) signIns.inc({ result }, 0);
  const secondFactor = new Counter({
    name: 'latchkey_second_factor_total',
    help: 'Second-factor codes sent and checked, by factor and result (sent, succeeded, failed, voided)',
    labelNames: ['factor', 'result'] as const,
    registers,
  });
  const locks = new Counter({ name: 'latchkey_locks_total', help: 'Accounts locked after too many wrong passwords', registers });
  const tokens = new Counter({
    name: 'latchkey_tokens_issued_total',
    help: 'Tokens and authorization codes issued, by type and grant',
    labelNames: ['type', 'grant'] as const,
    registers,
  });
  const storeErrors = new Counter({
    name: 'latchkey_store_errors_total',
    help: 'Redis and PostgreSQL failures, by store and where they were seen (connection, readiness, request)',
    labelNames: ['store', 'source'] as const,
    registers,
  });
  for (const [store, source] of [
    ['redis', 'connection'],
    ['redis', 'readiness'],
    ['redis', 'request'],
    ['database', 'readiness'],
    ['database', 'request'],
  ] as const) {
    storeErrors.inc({ store, source }, 0);
  }
  const refused = new Counter({ name: 'latchkey_argon2_refused_total', help: 'Password hashes refused because the argon2 queue was full', registers });
  new Gauge({
    name: 'latchkey_argon2_in_flight',
    help: 'argon2 hashes being computed now',
    registers,
    collect() {
      this.set(deps.argon2().active);
    },
  });
  new Gauge({
    name: 'latchkey_argon2_queue_depth',
    help: 'argon2 hashes waiting for a free slot',
    registers,
    collect() {
      this.set(deps.argon2().queued);
    },
  });

  return {
    registry,
    request(route, method, status, seconds) {
      const labels = { route, method: METHODS.has(method) ? method : 'other', status_class: `${Math.trunc(status / 100)}xx` };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    securityEvent(action, details) {
      if (!ACTION.test(action)) return;
      securityEvents.inc({ action });
      const signIn = SIGN_IN_RESULTS[action];
      if (signIn) signIns.inc({ result: signIn });
      const second = SECOND_FACTOR_RESULTS[action];
      if (second) secondFactor.inc({ factor: factorOf(details, factors), result: second });
      if (action === 'user.locked') locks.inc();
    },
    tokenIssued(type, grant) {
      tokens.inc({ type, grant: GRANTS.has(grant) ? grant : 'other' });
    },
    storeError(store, source) {
      storeErrors.inc({ store, source });
    },
    argon2Refused() {
      refused.inc();
    },
  };
}

/** the sign-in pages name the factor `factor`, `method` or `channel` depending on the event */
function factorOf(details: Record<string, unknown> | undefined, factors: ReadonlySet<string>): string {
  const named = details?.factor ?? details?.method ?? details?.channel;
  return typeof named === 'string' && factors.has(named) ? named : 'other';
}
