import { isCodeFactor } from '../policy/factor-types.ts';
import type { LoginDeps } from './context.ts';
import type { FactorType } from '../policy/tenant-policy.ts';
import type { CodeChannel } from '../factors/code-challenges.ts';
import { maskPhoneNumber } from '../factors/delivery/phone.ts';

export const isCodeChannel = (factor: string): factor is CodeChannel => isCodeFactor(factor);

/** how a destination is shown on a page: enough to recognise it, not enough to learn it */
export function maskDestination(destination: string): string {
  if (destination.startsWith('+')) return maskPhoneNumber(destination);
  const [local = '', domain = ''] = destination.split('@');
  return `${local.slice(0, 1)}${'*'.repeat(Math.max(1, Math.min(local.length - 1, 6)))}@${domain}`;
}

/** where the user's code for this factor goes: the account email, or the confirmed phone number */
export async function destinationOf(deps: LoginDeps, user: { id: string; email: string }, factor: FactorType): Promise<string | undefined> {
  if (factor === 'email') return user.email;
  if (factor === 'totp') return undefined;
  const phone = (await deps.factors.list(user.id)).find((f) => f.type === factor && f.confirmedAt && f.phone);
  return phone?.phone ?? undefined;
}
