import Provider, { errors, type Configuration, type InteractionResults } from 'oidc-provider';
import mount from 'koa-mount';
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

/**
 * Owns the oidc-provider instance. Signing keys are fixed per instance, so when another
 * process rotates them (`latchkey keys rotate`), a new instance is built with the new key
 * set and swapped in; all state lives in the adapter, so nothing in flight is lost.
 */
export interface ProviderHost {
  middleware: Middleware;
  current(): Provider;
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
}): Promise<ProviderHost> {
  const build = async () => {
    const provider = new Provider(deps.issuer, deps.configuration(await deps.keys.loadJwks()));
    provider.on('server_error', (ctx, err) => deps.logger.error({ err, requestId: ctx.state?.requestId }, 'oidc server_error'));
    provider.on('grant.error', (_ctx, err) => deps.logger.info({ error: (err as { error?: string }).error }, 'grant error'));
    return { provider, mounted: mount(provider) as Middleware };
  };
  let active = await build();
  let fingerprint = await deps.keys.fingerprint();
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
    current: () => active.provider,
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

