import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn } from './context.ts';
import { DEVICE_COOKIE_NAME } from '../http/device-cookie.ts';
import { deviceTrustEnds } from '../policy/device-trust.ts';

/**
 * The remembered devices as the security page lists them, this browser's marked. The expiry
 * shown is when the device stops counting: sooner than stored when the tenant has since
 * shortened its trust period, and a device past it is not listed (sign-in ignores it).
 */
export async function deviceEntries(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  const policy = who.tenant.policy.devices;
  const now = deps.clock.now();
  const [devices, current] = await Promise.all([deps.devices.list(who.user.id), currentDevice(deps, ctx, who)]);
  return devices
    .map((d) => ({ d, ends: new Date(deviceTrustEnds(d, policy)) }))
    .filter(({ ends }) => ends.getTime() > now)
    .map(({ d, ends }) => ({
      id: d.id,
      name: d.name,
      family: d.family,
      os: d.os,
      lastIp: d.lastIp,
      boundIp: d.boundIp ?? '',
      // Dates: the page formats them in the reader's zone and formats ({{datetime}})
      lastUsed: d.lastUsedAt,
      lastUsedIso: d.lastUsedAt.toISOString(),
      expires: ends,
      expiresIso: ends.toISOString(),
      current: d.id === current?.id,
    }));
}

/** this browser's device, when its cookie names one of the user's unexpired devices */
export function currentDevice(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  return deps.devices.findByToken(who.user.id, ctx.cookies.get(DEVICE_COOKIE_NAME(deps.issuer)));
}
