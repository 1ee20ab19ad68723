import Provider, { errors, type Configuration, type InteractionResults } from 'oidc-provider';
import mount from 'koa-mount';
import type { EventEmitter } from 'node:events';
import type { Context, Middleware } from 'koa';
import type { Logger } from '../lib/logger.ts';
import type { SigningKeyService } from './signing-keys.ts';

export interface InteractionView {
  uid: string;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: Record<string, unknown>;
  clientId: string;
  accountId?: string;
  /** how the existing session's user authenticated (RFC 8176 values), for a step-up */
  sessionAmr?: string[];
  /** the id of the browser's existing session (its cookie value), when it has one */
  sessionId?: string;
  /** the Grant id when consent is being asked for an existing grant */
  grantId?: string;
}

/** a client as the provider resolves it: a registered one, or a tenant's built-in console client */
export interface ClientView {
  clientId: string;
  /** client_name, when the client has one */
  name?: string;
  tenantId: string;
  firstParty: boolean;
}

/** the provider session a browser's cookie names */
export interface SessionView {
  /** what the session cookie carries; it changes at every sign-in in this browser */
  id: string;
  /** stays the same for the browser across sign-ins */
  uid: string;
  /** the signed-in account, absent before the first sign-in completes */
  accountId?: string;
  /** epoch seconds of the last authentication */
  authTime?: number;
}

/** a listener of the provider's events; each event passes its own arguments (oidc-provider's events list) */
export type ProviderListener = (...args: never[]) => void;

// oidc-provider's session ids are nanoids; anything else is not worth a store lookup
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Owns the oidc-provider instance. Signing keys are fixed per instance, so when another
 * process rotates them (`latchkey keys rotate`), a new instance is built with the new key
 * set and swapped in; all state lives in the adapter, so nothing in flight is lost.
 */
export interface ProviderHost {
  middleware: Middleware;
  /** the client with this id, or undefined when none is registered */
  findClient(clientId: string): Promise<ClientView | undefined>;
  /** the session named by this request's signed session cookie, or undefined when there is none */
  findSession(ctx: Context): Promise<SessionView | undefined>;
  /** listens to an event of this instance and of every instance built later (key rotation) */
  on(event: string, listener: ProviderListener): void;
  interactionDetails(ctx: Context): Promise<InteractionView>;
  interactionFinished(ctx: Context, result: InteractionResults): Promise<void>;
  /** records consent for the interaction's client and returns the grant id */
  grantConsent(ctx: Context, view: InteractionView): Promise<string>;
  reloadIfKeysChanged(): Promise<boolean>;
  close(): void;
}

export async function createProviderHost(deps: {
  issuer: string;
  keys: SigningKeyService;
  configuration: (jwks: Awaited<ReturnType<SigningKeyService['loadJwks']>>) => Configuration;
  logger: Logger;
  reloadIntervalSeconds: number;
  /** adds to each instance what its configuration cannot hold (custom grant types, src/oidc/token-exchange.ts) */
  extend?: (provider: Provider, built: { configuration: Configuration; jwks: Awaited<ReturnType<SigningKeyService['loadJwks']>> }) => void;
}): Promise<ProviderHost> {
  const listeners: { event: string; listener: ProviderListener }[] = [];
  const listen = (provider: Provider, event: string, listener: ProviderListener) => {
    // typed per event name by oidc-provider; the names here come from the callers
    (provider as unknown as EventEmitter).on(event, listener as (...args: unknown[]) => void);
  };
  const build = async () => {
    const jwks = await deps.keys.loadJwks();
    const configuration = deps.configuration(jwks);
    const provider = new Provider(deps.issuer, configuration);
    deps.extend?.(provider, { configuration, jwks });
    provider.on('server_error', (ctx, err) => deps.logger.error({ err, requestId: ctx.state?.requestId }, 'oidc server_error'));
    provider.on('grant.error', (_ctx, err) => deps.logger.info({ error: (err as { error?: string }).error }, 'grant error'));
    for (const { event, listener } of listeners) listen(provider, event, listener);
    return { provider, mounted: mount(provider) as Middleware };
  };
  // The fingerprint is read before the keys are loaded, never after: keys another replica
  // creates in between then differ from it, and the next check loads them.
  let fingerprint = await deps.keys.fingerprint();
  let active = await build();
  let reloading: Promise<boolean> | undefined;

  const reloadIfKeysChanged = () => {
    reloading ??= (async () => {
      try {
        const next = await deps.keys.fingerprint();
        if (next === fingerprint) return false;
        active = await build();
        fingerprint = next;
        deps.logger.info('signing keys changed; provider reloaded');
        return true;
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  };
  const timer = setInterval(() => {
    reloadIfKeysChanged().catch((err: unknown) => deps.logger.warn({ err }, 'signing key reload failed'));
  }, deps.reloadIntervalSeconds * 1000);
  timer.unref();

  return {
    middleware: (ctx, next) => active.mounted(ctx, next),
    async findClient(clientId) {
      const client = (await active.provider.Client.find(clientId)) as unknown as
        | { clientId: string; clientName?: string; tenant_id: string; first_party: boolean }
        | undefined;
      if (!client) return undefined;
      return {
        clientId: client.clientId,
        tenantId: client.tenant_id,
        firstParty: client.first_party === true,
        ...(typeof client.clientName === 'string' ? { name: client.clientName } : {}),
      };
    },
    async findSession(ctx) {
      const { provider } = active;
      const id = ctx.cookies.get(provider.cookieName('session'), { signed: true });
      if (!id || !SESSION_ID.test(id)) return undefined;
      const session = await provider.Session.find(id);
      if (!session) return undefined;
      return {
        id: session.jti,
        uid: session.uid,
        ...(session.accountId ? { accountId: session.accountId } : {}),
        ...(typeof session.loginTs === 'number' ? { authTime: session.loginTs } : {}),
      };
    },
    on(event, listener) {
      listeners.push({ event, listener });
      listen(active.provider, event, listener);
    },
    async interactionDetails(ctx) {
      const details = await active.provider.interactionDetails(ctx.req, ctx.res);
      // kept for interactionFinished, which then saves the result without reading it again
      ctx.state.oidcInteraction = details;
      return {
        uid: details.uid,
        prompt: details.prompt as InteractionView['prompt'],
        params: details.params as Record<string, unknown>,
        clientId: String(details.params.client_id),
        ...(details.session?.accountId ? { accountId: details.session.accountId } : {}),
        ...(details.session?.amr ? { sessionAmr: details.session.amr as string[] } : {}),
        ...(details.session?.cookie ? { sessionId: details.session.cookie } : {}),
        ...(details.grantId ? { grantId: details.grantId } : {}),
      };
    },
    async interactionFinished(ctx, result) {
      const loaded = ctx.state.oidcInteraction as Awaited<ReturnType<Provider['interactionDetails']>> | undefined;
      let redirectTo: string;
      if (loaded) {
        loaded.result = result;
        await loaded.save(loaded.exp - Math.floor(Date.now() / 1000));
        redirectTo = loaded.returnTo;
      } else {
        redirectTo = await active.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
      }
      ctx.status = 303;
      ctx.redirect(redirectTo);
    },
    async grantConsent(_ctx, view) {
      const { Grant } = active.provider;
      if (!view.accountId) throw new errors.SessionNotFound('no account in session');
      const grant = view.grantId ? await Grant.find(view.grantId) : new Grant({ accountId: view.accountId, clientId: view.clientId });
      if (!grant) throw new errors.SessionNotFound('grant expired');
      const details = view.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
      if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      return grant.save();
    },
    reloadIfKeysChanged,
    close: () => clearInterval(timer),
  };
}
