import type * as oidc from 'openid-client';
import type { Fixture } from './fixture.ts';
import { discover } from './relying-party.ts';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** a public client registered for the device authorization grant only (a CLI), with its openid-client configuration */
export async function registerDeviceClient(f: Fixture, name: string): Promise<{ clientId: string; config: oidc.Configuration }> {
  const tenant = await f.server.container.tenants.getByName(f.tenant);
  const { clientId } = await f.server.container.clients.create({ tenantId: tenant.id, name, grants: [DEVICE_CODE_GRANT], public: true });
  return { clientId, config: await discover(f.server.url, { clientId, redirectUri: '' }) };
}

export interface PlainDeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
}

/** the device authorization request (RFC 8628 §3.1) as a plain HTTP form post, no client library */
export async function requestDeviceCode(issuer: string, clientId: string, scope = 'openid email'): Promise<PlainDeviceAuthorization> {
  const res = await fetch(`${issuer}/device/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: clientId, scope }),
  });
  if (res.status !== 200) throw new Error(`device authorization answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as PlainDeviceAuthorization;
}

/** one poll of the token endpoint (RFC 8628 §3.4) as a plain HTTP form post: its status and JSON body */
export async function pollOnce(
  issuer: string,
  deviceCode: string,
  client: { clientId: string; clientSecret?: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const form: Record<string, string> = { grant_type: DEVICE_CODE_GRANT, device_code: deviceCode };
  if (client.clientSecret)
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
  else form.client_id = client.clientId;
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
