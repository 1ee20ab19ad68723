import type { ConsoleDeps, SignedIn } from './context.ts';
import { SECURITY_PATH } from './context.ts';

/** the identities at upstream providers linked to the user, for the security page's partial */
export async function linkedIdentityEntries(deps: ConsoleDeps, who: SignedIn) {
  const identities = await deps.federation.identities.listForUser(who.user.id);
  return {
    items: identities.map((i) => ({ id: i.id, provider: i.providerLabel, email: i.email ?? '', linkedAt: i.createdAt, lastUsed: i.lastUsedAt })),
    removeAction: `${SECURITY_PATH}/identities/remove`,
  };
}
