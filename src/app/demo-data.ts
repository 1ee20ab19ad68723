import { randomBytes } from 'node:crypto';
import type { Container } from './container.ts';

export const DEMO_TENANT = 'demo';
export const DEMO_EMAIL = 'demo@example.com';

/**
 * On the first start of the embedded default (outside production), a demo tenant, user and
 * client are created and printed once, so a newcomer can sign in right away at /demo.
 */
export function demoEnabled(c: Container): boolean {
  const mode = c.settings.DEMO_DATA;
  return mode === 'on' || (mode === 'auto' && c.db.kind === 'sqlite' && c.settings.NODE_ENV !== 'production');
}

export async function ensureDemoData(c: Container): Promise<void> {
  if (!demoEnabled(c) || (await c.tenants.findByName(DEMO_TENANT))) return;
  const tenant = await c.tenants.create({ name: DEMO_TENANT, displayName: 'Demo' });
  const password = randomBytes(12).toString('base64url');
  await c.users.create({ tenantId: tenant.id, email: DEMO_EMAIL, password, role: 'owner', firstName: 'Demo', lastName: 'User' });
  const redirectUri = `${c.issuer}/demo/callback`;
  const client = await c.clients.create({
    tenantId: tenant.id,
    name: 'Demo application',
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [`${c.issuer}/demo`],
    grants: ['authorization_code', 'refresh_token'],
  });
  const lines = [
    '',
    'Demo data created (shown once):',
    `  tenant:        ${DEMO_TENANT}`,
    `  user:          ${DEMO_EMAIL}`,
    `  password:      ${password}`,
    `  client_id:     ${client.clientId}`,
    `  client_secret: ${client.clientSecret}`,
    `  redirect_uri:  ${redirectUri}`,
    `Open ${c.issuer}/demo to sign in.`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
