import type { Context } from 'koa';
import type { ConsoleDeps, SignedIn, Unlocked } from './context.ts';
import { SECURITY_PATH, audit, formField, renderPage, translator } from './context.ts';
import { renderSecurity } from './security-page.ts';
import { currentDevice } from './device-list.ts';
import type { Device } from '../accounts/devices.ts';
import { DEVICE_COOKIE_NAME, deviceCookieOptions } from '../http/device-cookie.ts';
import { AppError } from '../lib/errors.ts';

/** "Forget": the device is asked for the second factor again at its next sign-in */
export async function forgetDevice(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const id = formField(ctx, 'device');
  const device = (await deps.devices.list(who.user.id)).find((d) => d.id === id);
  if (!device) return renderDeviceMissing(deps, ctx, who);
  const current = await currentDevice(deps, ctx, who);
  if (!(await whileStillThere(() => deps.devices.revoke(who.user.id, device.id)))) return renderDeviceMissing(deps, ctx, who);
  const isCurrent = current?.id === device.id;
  if (isCurrent) forgetCookie(deps, ctx);
  await audit(deps, ctx, who, 'device.revoked', { deviceId: device.id, family: device.family, os: device.os, current: isCurrent });
  const t = translator(deps, ctx);
  return renderSecurity(deps, ctx, who, { notice: t(isCurrent ? 'account.devices.forgotCurrent' : 'account.devices.forgot', { name: device.name }) });
}

/** "Forget all devices": every one of them, this browser's included */
export async function forgetAllDevices(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const current = await currentDevice(deps, ctx, who);
  const count = await deps.devices.revokeAll(who.user.id);
  if (current) forgetCookie(deps, ctx);
  await audit(deps, ctx, who, 'devices.revoked_all', { count });
  const t = translator(deps, ctx);
  const key = count === 0 ? 'account.devices.forgotAll.none' : count === 1 ? 'account.devices.forgotAll.one' : 'account.devices.forgotAll.many';
  return renderSecurity(deps, ctx, who, { notice: t(key, { count }) });
}

/** a new name for one of the user's devices; a name the service refuses is the page's error */
export async function renameDevice(deps: ConsoleDeps, ctx: Context, who: Unlocked) {
  const t = translator(deps, ctx);
  const id = formField(ctx, 'device');
  // an unknown device is told before a bad name
  if (!(await deps.devices.list(who.user.id)).some((d) => d.id === id)) return renderDeviceMissing(deps, ctx, who);
  let renamed: Device;
  try {
    renamed = await deps.devices.rename(who.user.id, id, formField(ctx, 'name', 256));
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.status === 404) return renderDeviceMissing(deps, ctx, who);
    if (err.code !== 'device.invalid_name') throw err;
    ctx.status = 400;
    return renderSecurity(deps, ctx, who, { error: t('account.devices.badName') });
  }
  await audit(deps, ctx, who, 'device.renamed', { deviceId: renamed.id, name: renamed.name });
  return renderSecurity(deps, ctx, who, { notice: t('account.devices.renamed', { name: renamed.name }) });
}

function forgetCookie(deps: ConsoleDeps, ctx: Context) {
  ctx.cookies.set(DEVICE_COOKIE_NAME(deps.issuer), null, deviceCookieOptions(deps.issuer, 0));
}

/** false when the device went in the meantime (another tab, a password change) */
async function whileStillThere(action: () => Promise<void>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (err) {
    if (err instanceof AppError && err.status === 404) return false;
    throw err;
  }
}

/** a bad id, another user's device, or one already forgotten: 404, nothing changed */
function renderDeviceMissing(deps: ConsoleDeps, ctx: Context, who: SignedIn) {
  const t = translator(deps, ctx);
  ctx.status = 404;
  renderPage(deps, ctx, who, 'account-device-missing', { title: t('account.devices.missing.title'), back: SECURITY_PATH });
}
