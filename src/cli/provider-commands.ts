import type { Container } from '../app/container.ts';
import { AppError } from '../lib/errors.ts';
import { providerFieldsSchema, type ProviderFields } from '../federation/provider-input.ts';
import type { UpstreamProvider } from '../federation/providers.ts';
import type { CliCommand } from './lifecycle-commands.ts';

type Values = Record<string, string | string[] | boolean | undefined>;

export const PROVIDER_USAGE = `  provider add --tenant NAME --name SLUG --label TEXT --issuer URL --client-id ID
              (--client-secret SECRET | --client-secret-env VARIABLE) [--scope S ...] [--domain D ...] [--exclusive]
              [--provision-role owner|admin|member] [--mfa-amr VALUE ...] [--mfa-acr VALUE ...] [--logo-url URL]
              an upstream OpenID Connect provider users may sign in through (docs/federation.md); register the
              printed callback URL at the provider; the secret is stored sealed and never shown again
  provider list --tenant NAME                        the tenant's providers (never their secrets)
  provider remove --tenant NAME --name SLUG          removes it and the identities linked through it`;

const one = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || !v) throw new AppError(400, 'cli.missing_option', `--${name} is required`);
  return v;
};
const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === 'string' ? [v] : [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
const FLAG_OF: Record<string, string> = {
  slug: 'name',
  clientId: 'client-id',
  clientSecret: 'client-secret',
  logoUrl: 'logo-url',
  provisionRole: 'provision-role',
  mfaAmr: 'mfa-amr',
  mfaAcr: 'mfa-acr',
  domains: 'domain',
  scopes: 'scope',
};

/** the provider the command line describes, or a usage error naming the flag (checked before connecting) */
function providerInput(v: Values, env: NodeJS.ProcessEnv = process.env): ProviderFields {
  const secretVar = typeof v['client-secret-env'] === 'string' ? v['client-secret-env'] : undefined;
  const secret = secretVar ? env[secretVar] : v['client-secret'];
  if (secretVar && !secret) throw new AppError(400, 'cli.invalid_option', `--client-secret-env: ${secretVar} is not set`);
  const parsed = providerFieldsSchema.safeParse({
    slug: one(v.name, 'name'),
    label: one(v.label, 'label'),
    issuer: one(v.issuer, 'issuer'),
    clientId: one(v['client-id'], 'client-id'),
    clientSecret: secret === undefined ? one(undefined, 'client-secret') : secret,
    ...(v.scope !== undefined ? { scopes: list(v.scope) } : {}),
    domains: list(v.domain),
    exclusive: v.exclusive === true,
    provisionRole: typeof v['provision-role'] === 'string' ? v['provision-role'] : null,
    mfaAmr: list(v['mfa-amr']),
    mfaAcr: list(v['mfa-acr']),
    logoUrl: typeof v['logo-url'] === 'string' ? v['logo-url'] : null,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? 'name');
    throw new AppError(400, 'cli.invalid_option', `--${FLAG_OF[field] ?? field}: ${issue.message}`);
  }
  return parsed.data;
}

const shown = (p: UpstreamProvider) => ({
  name: p.slug,
  label: p.label,
  issuer: p.issuer,
  client_id: p.clientId,
  scopes: p.scopes,
  domains: p.domains,
  exclusive: p.exclusive,
  provision_role: p.provisionRole ?? 'none',
  mfa_amr: p.mfaAmr,
  mfa_acr: p.mfaAcr,
});

export const PROVIDER_COMMANDS: Record<string, CliCommand> = {
  'provider add': {
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      label: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'client-secret-env': { type: 'string' },
      scope: { type: 'string', multiple: true },
      domain: { type: 'string', multiple: true },
      exclusive: { type: 'boolean' },
      'provision-role': { type: 'string' },
      'mfa-amr': { type: 'string', multiple: true },
      'mfa-acr': { type: 'string', multiple: true },
      'logo-url': { type: 'string' },
    },
    check: (v) => {
      one(v.tenant, 'tenant');
      providerInput(v);
    },
    run: async (c: Container, v) => {
      const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
      const provider = await c.federation.providers.create(tenant.id, providerInput(v));
      await c.audit.record({ action: 'federation.provider_created', tenantId: tenant.id, actor: 'cli', details: { provider: provider.slug } });
      return { provider: shown(provider), callback_url: c.federation.callbackUrl };
    },
  },
  'provider list': {
    options: { tenant: { type: 'string' } },
    check: (v) => {
      one(v.tenant, 'tenant');
    },
    run: async (c, v) => {
      const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
      return { providers: (await c.federation.providers.list(tenant.id)).map(shown) as never, callback_url: c.federation.callbackUrl };
    },
    text: (out) => {
      const providers = out.providers as Array<ReturnType<typeof shown>>;
      const lines = providers.map(
        (p) => `${p.name}\t${p.label}\t${p.issuer}\tdomains: ${p.domains.join(',') || '-'}${p.exclusive ? ' (exclusive)' : ''}\tprovision: ${p.provision_role}`,
      );
      return [...(lines.length ? lines : ['(no providers)']), `callback URL: ${String(out.callback_url)}`].join('\n');
    },
  },
  'provider remove': {
    options: { tenant: { type: 'string' }, name: { type: 'string' } },
    check: (v) => {
      one(v.tenant, 'tenant');
      one(v.name, 'name');
    },
    run: async (c, v) => {
      const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
      const removed = await c.federation.providers.remove(tenant.id, one(v.name, 'name'));
      if (!removed) throw new AppError(404, 'provider.not_found', `No provider ${String(v.name)} in tenant ${tenant.name}`);
      await c.audit.record({ action: 'federation.provider_deleted', tenantId: tenant.id, actor: 'cli', details: { provider: removed.slug } });
      return { removed: removed.slug };
    },
  },
};
