import type { Settings } from '../config/schema.ts';
import type { Database } from '../store/database.ts';
import type { OidcKvStore } from '../store/oidc-kv/types.ts';
import type { SealedBox } from '../lib/sealed-box.ts';
import type { Clock } from '../lib/clock.ts';
import { createProviderService, type ProviderService } from './providers.ts';
import { createIdentityService, type IdentityService } from './identities.ts';
import { createFederationAttempts, type FederationAttempts } from './attempts.ts';
import { createUpstreamClient, type UpstreamClient } from './upstream-client.ts';
import { createUpstreamFetch } from './upstream-fetch.ts';

/** the path upstream providers redirect back to, below the issuer: register $ISSUER + this at each provider */
export const FEDERATION_CALLBACK_PATH = '/federation/callback';

export interface Federation {
  providers: ProviderService;
  identities: IdentityService;
  attempts: FederationAttempts;
  upstream: UpstreamClient;
  callbackUrl: string;
}

export function createFederation(deps: { settings: Settings; issuer: string; db: Database; kv: OidcKvStore; box: SealedBox; clock: Clock }): Federation {
  const { settings } = deps;
  const allowHttp = settings.FEDERATION_ALLOW_HTTP && settings.NODE_ENV !== 'production';
  const providers = createProviderService({ db: deps.db, box: deps.box, clock: deps.clock, allowHttpIssuers: allowHttp });
  const callbackUrl = `${deps.issuer}${FEDERATION_CALLBACK_PATH}`;
  return {
    providers,
    identities: createIdentityService({ db: deps.db, clock: deps.clock }),
    // the upstream sign-in must end within the interaction's life
    attempts: createFederationAttempts(deps.kv, Math.min(settings.INTERACTION_TTL, 900)),
    upstream: createUpstreamClient({
      callbackUrl,
      allowHttp,
      clock: deps.clock,
      timeoutMs: settings.FEDERATION_TIMEOUT_MS,
      fetch: createUpstreamFetch({ allowPrivate: settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES, timeoutMs: settings.FEDERATION_TIMEOUT_MS }),
      clientSecret: (p) => providers.clientSecret(p),
    }),
    callbackUrl,
  };
}
