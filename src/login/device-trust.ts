import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import type { LoginState } from './login-state.ts';
import { deviceSkipsSecondFactor, type DeviceTrustDecision } from '../policy/device-trust.ts';
import { DEVICE_COOKIE_NAME, deviceCookieOptions } from '../http/device-cookie.ts';
import { describeUserAgent } from '../accounts/user-agent.ts';
import { sendInBackground } from '../accounts/notifications.ts';
import type { User } from '../accounts/users.ts';
import type { RememberDeviceFields } from './forms.ts';

/**
 * Remembered devices in the sign-in: whether this browser is one, whether that spares the
 * second factor (trust period, re-check period, binding), remembering it once the sign-in is
 * done, and the new-device email.
 */
export async function recogniseDevice(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  userId: string,
  lastSecondFactorAt: Date | null | undefined,
): Promise<{ trust: DeviceTrustDecision; known: boolean }> {
  const facts = requestFacts(ctx);
  const policy = ic.tenant.policy.devices;
  const recognition = await deps.devices.recognise({
    token: ctx.cookies.get(DEVICE_COOKIE_NAME(deps.issuer)),
    userId,
    tenantId: ic.tenant.id,
    userAgent: facts.userAgent,
    ip: facts.ip,
    policy,
  });
  const trust = deviceSkipsSecondFactor({
    policy,
    recognised: recognition.reason,
    ...(recognition.device ? { device: recognition.device } : {}),
    lastSecondFactorAt: lastSecondFactorAt ?? null,
    ip: facts.ip,
    now: deps.clock.now(),
  });
  return { trust, known: recognition.reason === 'ok' };
}

/** what the "remember this device" box on a second-factor page asked for (its fields, as the step's form read them) */
export function rememberRequest(ctx: Context, form: RememberDeviceFields): LoginState['rememberDevice'] {
  if (form.remember !== 'on') return undefined;
  const typed = form.deviceName.replace(/\s+/g, ' ').trim();
  return { name: typed || describeUserAgent(ctx.get('user-agent')).suggestedName };
}

/** the fields the second-factor pages show for the "remember this device" offer */
export function rememberOffer(ctx: Context, ic: InteractionContext) {
  return {
    rememberDays: ic.tenant.policy.devices.trustDays,
    suggestedDeviceName: describeUserAgent(ctx.get('user-agent')).suggestedName,
    rememberEnabled: true,
  };
}

/** At the end of a sign-in (of `user`, as just read): remember the device if asked, and tell the user about a new device. */
export async function settleDevice(deps: LoginDeps, ctx: Context, ic: InteractionContext, state: LoginState, user: User) {
  const facts = requestFacts(ctx);
  const policy = ic.tenant.policy.devices;
  const audit = { tenantId: ic.tenant.id, userId: state.userId, actor: `user:${state.userId}`, ...facts };
  if (state.rememberDevice) {
    const cookieName = DEVICE_COOKIE_NAME(deps.issuer);
    const current = ctx.cookies.get(cookieName);
    const remembered = await deps.devices.remember({
      userId: state.userId,
      tenantId: ic.tenant.id,
      userAgent: facts.userAgent,
      ip: facts.ip,
      name: state.rememberDevice.name,
      policy,
      ...(current ? { replacing: current } : {}),
    });
    ctx.cookies.set(cookieName, remembered.token, deviceCookieOptions(deps.issuer, remembered.maxAgeSeconds));
    await deps.audit.record({
      ...audit,
      action: 'device.remembered',
      details: { deviceId: remembered.device.id, family: remembered.device.family, os: remembered.device.os },
    });
  }
  if (state.knownDevice || !policy.newDeviceEmail) return;
  await deps.audit.record({ ...audit, action: 'signin.new_device' });
  const described = describeUserAgent(facts.userAgent);
  const when = new Date(deps.clock.now());
  sendInBackground(deps.logger, 'new-device email', () =>
    deps.notifications.newDeviceSignIn(
      { ...user, requestLocale: ctx.state.locale },
      {
        when,
        ip: facts.ip,
        browser: described.family,
        os: described.os,
        tenant: ic.tenant.displayName,
      },
    ),
  );
}
