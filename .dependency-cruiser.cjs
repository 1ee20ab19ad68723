/**
 * Import rules for src/, checked by `npm run lint:deps` and by scripts/test.sh after the type
 * check. Imports go one way; a folder imports its own files and only these other folders:
 *
 *   main.ts, server.ts, app.ts, cli.ts, app/, cli/   anything (the composition root; nothing imports it)
 *   console                  login, admin, and all that these may import
 *   login, admin             oidc, http, federation, factors, accounts, config, store, policy, lib
 *   oidc                     http, accounts, config, store, policy, lib
 *   federation, factors      accounts, config, store, policy, lib
 *   http                     config, store, policy, lib
 *   accounts                 config, store, policy, lib
 *   store                    policy, lib
 *   config, policy           lib
 *   lib                      nothing
 *
 * Type-only imports count like any other: the swc parser reads the TypeScript source as written,
 * so `import type` is seen (what tsPreCompilationDeps does with the TypeScript compiler, whose
 * API typescript 7.0 does not offer).
 */

/** the step files of the hosted sign-in (src/login/flow.ts runs them) */
const SIGN_IN_STEPS = ['sign-in', 'second-factor', 'enroll-factor', 'recovery-codes', 'change-password', 'federation-link', 'federation'].join('|');

/** a path pattern for these src/ folders */
const folders = (...names) => `^src/(${names.join('|')})/`;

/** a rule: files under `folder` import nothing under src/ except from `allowed` (and their own folder) */
function importsOnly(name, comment, folder, allowed, extra = {}) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: folders(folder), ...(extra.fromPathNot ? { pathNot: extra.fromPathNot } : {}) },
    to: { path: '^src/', pathNot: [folders(folder, ...allowed), ...(extra.toPathNot ?? [])] },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'No import cycle anywhere under src/, not even between two files of one folder (type-only imports included): ' +
        'a cycle means two files hold one thing between them; move what both need into a file that imports neither.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-from-test-or-bench',
      comment: 'The product never imports its tests, test stand-ins or benchmarks.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'sign-in-steps-return-to-the-flow',
      comment:
        'The hosted sign-in runs its steps from src/login/flow.ts alone (its order is decideNextStep, src/policy/sign-in-steps.ts): ' +
        'a step hands back a StepOutcome and never imports another step or the flow.',
      severity: 'error',
      from: { path: `^src/login/(${SIGN_IN_STEPS})\\.ts$` },
      to: { path: `^src/login/(${SIGN_IN_STEPS}|flow)\\.ts$` },
    },
    {
      name: 'oidc-provider-only-in-oidc',
      comment:
        'Only src/oidc/ touches oidc-provider; everything else calls it through small functions there ' +
        '(ProviderHost.findClient, findSession, on) that return plain objects.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/oidc/' },
      to: { path: 'node_modules/oidc-provider/' },
    },
    importsOnly('lib-imports-only-lib', 'lib holds small pure helpers: it imports nothing else from src/.', 'lib', []),
    importsOnly('policy-imports-only-lib', 'policy decides from plain data without I/O: it imports only lib.', 'policy', ['lib']),
    importsOnly(
      'config-imports-only-lib',
      'config is the settings schema and its loader: it imports only lib, so every layer above store may read settings.',
      'config',
      ['lib'],
    ),
    importsOnly(
      'store-imports-only-policy-and-lib',
      'store (entities, databases, Redis and in-process stores) sits under every service: it imports only policy and lib. ' +
        'Exception: the one-time code stores still take their contract from src/factors/code-challenges.ts; ' +
        'that contract moves into src/store/challenges/ with the factor interface, and the exception goes.',
      'store',
      ['policy', 'lib'],
      { toPathNot: ['^src/factors/code-challenges[.]ts$'] },
    ),
    importsOnly(
      'accounts-imports-only-store-and-below',
      'accounts (tenants, users, clients, lifecycle, devices, sessions, audit, notifications and the mailer) ' +
        'is the lowest service: it imports config, store, policy and lib, never factors, federation, oidc or a surface. ' +
        'Factors, federation and oidc build on it. Exception: src/accounts/factors.ts still uses factor helpers ' +
        '(TOTP, QR, recovery codes, phone screening) until it moves under the factor interface in src/factors/.',
      'accounts',
      ['config', 'store', 'policy', 'lib'],
      { fromPathNot: '^src/accounts/factors[.]ts$' },
    ),
    {
      ...importsOnly(
        'accounts-factor-store-imports-factors-and-below',
        'src/accounts/factors.ts (the stored factors of a user) may also use src/factors/ until it moves there; nothing else above.',
        'accounts',
        ['factors', 'config', 'store', 'policy', 'lib'],
      ),
      from: { path: '^src/accounts/factors[.]ts$' },
    },
    importsOnly(
      'factors-imports-accounts-and-below',
      'factors (the factor types, code challenges and SMS/voice delivery) build on accounts (users, audit, ' +
        'notifications, which carry the mailer) and the layers under it; never federation, oidc or a surface.',
      'factors',
      ['accounts', 'config', 'store', 'policy', 'lib'],
    ),
    importsOnly(
      'federation-imports-accounts-and-below',
      'federation (upstream OpenID providers) links upstream identities to accounts; never factors, oidc or a surface.',
      'federation',
      ['accounts', 'config', 'store', 'policy', 'lib'],
    ),
    importsOnly(
      'http-imports-only-store-and-below',
      'http is cross-cutting HTTP plumbing (headers, CSRF, client IP, locale, views, errors, metrics, request facts) ' +
        "used by every surface and by oidc's own pages: it imports config, store, policy and lib, never a service or oidc.",
      'http',
      ['config', 'store', 'policy', 'lib'],
    ),
    importsOnly(
      'oidc-imports-accounts-http-and-below',
      'oidc configures and hosts oidc-provider: it reads accounts (users, tenants, clients, sessions) and renders its pages ' +
        'through http; never factors, federation or a surface (those call oidc, not the other way round).',
      'oidc',
      ['accounts', 'http', 'config', 'store', 'policy', 'lib'],
    ),
    importsOnly(
      'login-imports-no-other-surface',
      'login (the hosted sign-in) uses oidc, the services and http; never console, admin or the composition root.',
      'login',
      ['oidc', 'http', 'factors', 'accounts', 'federation', 'config', 'store', 'policy', 'lib'],
    ),
    importsOnly(
      'admin-imports-no-other-surface',
      'admin (the REST API, API tokens, webhooks) uses oidc, the services and http; never console, login or the composition root.',
      'admin',
      ['oidc', 'http', 'factors', 'accounts', 'federation', 'config', 'store', 'policy', 'lib'],
    ),
    importsOnly(
      'console-imports-surfaces-one-way',
      "console (the account pages) may also use login's password messages and admin's scope list; " +
        'login and admin never import console, so the surfaces import one way. Never the composition root.',
      'console',
      ['login', 'admin', 'oidc', 'http', 'factors', 'accounts', 'federation', 'config', 'store', 'policy', 'lib'],
    ),
    {
      name: 'composition-root-imported-by-none',
      comment: 'main.ts, server.ts, app.ts, cli.ts, app/ and cli/ wire everything together; no folder below imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(app|cli)/', '^src/[^/]+[.]ts$'] },
      to: { path: ['^src/(app|cli)/', '^src/[^/]+[.]ts$'] },
    },
  ],
  options: {
    // swc parses TypeScript itself (typescript 7.0 has no compiler API to lend dependency-cruiser)
    parser: 'swc',
    moduleSystems: ['es6'],
    doNotFollow: { path: 'node_modules' },
  },
};
