import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Renderer } from '../http/views.ts';
import type { TenantService } from '../accounts/tenants.ts';
import type { UserService } from '../accounts/users.ts';
import type { RequestState } from '../http/request-state.ts';
import { applyLocale } from '../http/locale.ts';

type DeviceFlowFeature = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;

/** the grant a client is registered for to use the device authorization grant (RFC 8628) */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * What the device pages leave for deviceFlowGuard (src/oidc/device-flow-guard.ts) on the same
 * request: that the code typed was unknown (a wrong guess, counted), and the code a
 * verification_uri_complete link carried (filled in on the page instead of sent by a script).
 */
export const deviceRequestMarks = {
  unknownCode: new WeakSet<object>(),
  linkedCode: new WeakMap<object, string>(),
};

/** why the code page is shown again: the catalogue key of its message and the status of the answer */
interface Problem {
  key: string;
  status: number;
  /** a notice (role=status) rather than an error next to the field */
  notice?: boolean;
  /** the code typed stays in the field (a typo can be fixed) */
  keepCode?: boolean;
}

/** oidc-provider's re-render errors (helpers/re_render_errors.js), by name */
const RE_RENDER: Record<string, Problem> = {
  NoCodeError: { key: 'deviceFlow.missing', status: 400 },
  NotFoundError: { key: 'deviceFlow.unknown', status: 400, keepCode: true },
  ExpiredError: { key: 'deviceFlow.expired', status: 400 },
  AlreadyUsedError: { key: 'deviceFlow.used', status: 400 },
  AbortedError: { key: 'deviceFlow.aborted', status: 200, notice: true },
};

function problemOf(ctx: KoaContextWithOIDC, err: Error | undefined): Problem | undefined {
  if (!err) return undefined;
  const known = RE_RENDER[err.name];
  if (known) return known;
  const status = ctx.status >= 400 && ctx.status <= 599 ? ctx.status : 500;
  if (status >= 500) return { key: 'deviceFlow.failed', status };
  // the form's own token (oidc-provider's xsrf) failed before any code was looked up: the form is stale
  const codeTouched = ctx.oidc.route === 'device_resume' || ctx.oidc.entities.DeviceCode !== undefined;
  return { key: codeTouched ? 'deviceFlow.interrupted' : 'deviceFlow.formExpired', status };
}

/**
 * oidc-provider's device flow pages (RFC 8628 §3.3) in the product's layout and language: the
 * code entry at /device, the confirmation naming the application and its tenant, the success
 * page, and the code page again with what went wrong. The forms carry oidc-provider's own
 * token (`xsrf`, kept in its session); no page has a script.
 */
export function deviceFlowFeature(deps: {
  renderer: Renderer;
  tenants: Pick<TenantService, 'findById'>;
  users: Pick<UserService, 'findById'>;
}): DeviceFlowFeature {
  const { renderer } = deps;
  const locale = (ctx: KoaContextWithOIDC) => (ctx.state as Partial<RequestState>).locale ?? 'en';
  const xsrfOf = (ctx: KoaContextWithOIDC) => String((ctx.oidc.session?.state as { secret?: unknown } | undefined)?.secret ?? '');

  /** the application's tenant on the page (name and logo), as on its sign-in pages */
  const brandOf = async (ctx: KoaContextWithOIDC, client: unknown) => {
    const c = client as { clientId?: string; clientName?: string; tenant_id?: string } | undefined;
    const tenant = c?.tenant_id ? await deps.tenants.findById(c.tenant_id) : undefined;
    if (!c || !tenant) return {};
    const state = ctx.state as Partial<RequestState>;
    state.clientId = c.clientId;
    state.tenantId = tenant.id;
    state.brand = { tenantName: tenant.displayName, tenantLogoUrl: tenant.logoUrl };
    if (tenant.logoUrl) state.imageOrigin = new URL(tenant.logoUrl).origin;
    return { clientName: c.clientName ?? c.clientId, tenantName: tenant.displayName, tenantLogoUrl: tenant.logoUrl };
  };

  return {
    enabled: true,
    // 8 letters of 20 (no vowels, nothing that reads as another letter): 20^8 codes, each living
    // 10 minutes, against 10 wrong guesses per network every 15 minutes (deviceFlowGuard)
    charset: 'base-20',
    mask: '****-****',

    async userCodeInputSource(ctx, _form, _out, err) {
      const problem = problemOf(ctx, err);
      if (problem?.key === 'deviceFlow.unknown') deviceRequestMarks.unknownCode.add(ctx);
      const linked = deviceRequestMarks.linkedCode.get(ctx);
      const typed = problem?.keepCode ? (err as { userCode?: unknown }).userCode : linked;
      const brand = problem?.key === 'deviceFlow.aborted' ? await brandOf(ctx, ctx.oidc.entities.Client) : {};
      const l = locale(ctx);
      ctx.status = problem?.status ?? 200;
      ctx.type = 'html';
      ctx.body = renderer.render(
        'device-code',
        {
          ...brand,
          title: renderer.translate('deviceFlow.title', l),
          action: ctx.oidc.urlFor('code_verification'),
          xsrf: xsrfOf(ctx),
          code: typeof typed === 'string' ? typed : '',
          linked: linked !== undefined && !problem,
          ...(problem?.notice ? { notice: renderer.translate(problem.key, l) } : problem ? { error: renderer.translate(problem.key, l) } : {}),
        },
        l,
      );
    },

    async userCodeConfirmSource(ctx, _form, client, _deviceInfo, userCode) {
      const brand = await brandOf(ctx, client);
      // once the request is known its ui_locales apply, as on the sign-in pages that follow
      const l = applyLocale(ctx, { uiLocales: ctx.oidc.entities.DeviceCode?.params?.ui_locales });
      ctx.type = 'html';
      ctx.body = renderer.render(
        'device-confirm',
        { ...brand, title: renderer.translate('deviceFlow.confirm.title', l), action: ctx.oidc.urlFor('code_verification'), xsrf: xsrfOf(ctx), userCode },
        l,
      );
    },

    async successSource(ctx) {
      const brand = await brandOf(ctx, ctx.oidc.client);
      const accountId = ctx.oidc.session?.accountId;
      const user = accountId ? await deps.users.findById(accountId) : undefined;
      const l = applyLocale(ctx, { uiLocales: ctx.oidc.params?.ui_locales, user: user ? { locale: user.locale } : undefined });
      ctx.type = 'html';
      ctx.body = renderer.render('device-done', { ...brand, title: renderer.translate('deviceFlow.done.title', l) }, l);
    },
  };
}
