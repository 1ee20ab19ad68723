import type { ClientService, RegisteredClient } from '../accounts/clients.ts';
import type { TenantService } from '../accounts/tenants.ts';

/**
 * The account console signs users in through Latchkey's own hosted login, as a relying party
 * of it: a built-in public client per tenant, with PKCE, returning to /account/callback. It
 * has no database row: the provider's client lookup resolves its id here, so it cannot be
 * listed, changed or deleted through the admin API, and it always has exactly these settings.
 */
export const CONSOLE_CLIENT_PREFIX = 'latchkey-account.';
export const CONSOLE_CALLBACK_PATH = '/account/callback';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const consoleClientId = (tenantId: string) => `${CONSOLE_CLIENT_PREFIX}${tenantId}`;

export function consoleRedirectUri(issuer: string): string {
  return new URL(CONSOLE_CALLBACK_PATH, withSlash(issuer)).toString();
}

const withSlash = (issuer: string) => (issuer.endsWith('/') ? issuer : `${issuer}/`);

/**
 * The clients the provider sees: the registered ones, and each tenant's console client.
 * `initiate_login_uri` is ours to use (the start page); oidc-provider accepts it only over
 * https, so an http://localhost one (development) is left out of what the provider reads.
 */
export function withConsoleClients(clients: ClientService, tenants: Pick<TenantService, 'findById'>, issuer: string): ClientService {
  return {
    ...clients,
    async find(clientId) {
      if (typeof clientId === 'string' && clientId.startsWith(CONSOLE_CLIENT_PREFIX)) {
        const tenantId = clientId.slice(CONSOLE_CLIENT_PREFIX.length);
        const tenant = UUID.test(tenantId) ? await tenants.findById(tenantId) : undefined;
        return tenant ? consoleClient(tenant, issuer) : undefined;
      }
      const client = await clients.find(clientId);
      if (!client || typeof client.metadata.initiate_login_uri !== 'string' || client.metadata.initiate_login_uri.startsWith('https:')) return client;
      const { initiate_login_uri: _local, ...metadata } = client.metadata;
      return { ...client, metadata };
    },
  };
}

function consoleClient(tenant: { id: string; displayName: string }, issuer: string): RegisteredClient {
  const clientId = consoleClientId(tenant.id);
  return {
    clientId,
    tenantId: tenant.id,
    name: tenant.displayName,
    firstParty: true,
    metadata: {
      client_id: clientId,
      client_name: tenant.displayName,
      redirect_uris: [consoleRedirectUri(issuer)],
      post_logout_redirect_uris: [new URL('/account', withSlash(issuer)).toString()],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
  };
}
