import type { ConsoleDeps, SignedIn } from './context.ts';
import { ACCOUNT_PATH } from './context.ts';
import { CONSOLE_CLIENT_PREFIX } from './console-client.ts';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** an application the user may start at: one of the tenant's clients that says how to start its sign-in */
export interface StartChoice {
  clientId: string;
  name: string;
  initiateLoginUri: string;
}

/**
 * The start page: where a sign-in that no application asked for (the console's own sign-in
 * entry, /account/sign-in) ends. The choices are the user's tenant's applications that
 * declare an `initiate_login_uri` (OpenID Connect Core §4), validated when they were
 * registered; the browser is sent there with `iss`, and the application starts its own
 * sign-in, which the session just made completes at once. No address comes from the request.
 */
export async function startChoices(deps: ConsoleDeps, who: SignedIn): Promise<StartChoice[]> {
  const clients = await deps.clients.listForTenant(who.tenant.id);
  return clients.flatMap((c) => {
    const uri = c.metadata.initiate_login_uri;
    return typeof uri === 'string' && !c.clientId.startsWith(CONSOLE_CLIENT_PREFIX) ? [{ clientId: c.clientId, name: c.name, initiateLoginUri: uri }] : [];
  });
}

/** the chosen application's initiate_login_uri, or the console when none is chosen (or it went away) */
export async function startDestination(deps: ConsoleDeps, who: SignedIn): Promise<string> {
  const chosen = who.settings.startClientId;
  if (!chosen) return ACCOUNT_PATH;
  const client = await deps.clients.find(chosen);
  const uri = client?.tenantId === who.tenant.id ? client.metadata.initiate_login_uri : undefined;
  const target = typeof uri === 'string' ? URL.parse(uri) : null;
  // checked when the client was registered; checked again here, as this sends the browser away
  const local = target?.protocol === 'http:' && LOCAL_HOSTS.has(target.hostname);
  if (!target || (target.protocol !== 'https:' && !local)) return ACCOUNT_PATH;
  target.searchParams.set('iss', deps.issuer);
  return target.toString();
}
