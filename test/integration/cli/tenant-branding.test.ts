import { expect } from 'chai';
import { createBackend, type Backend } from '../../support/backends.ts';
import { cli, runCli } from '../../support/cli.ts';

/** The name and logo on the sign-in pages, set by an operator (embedded default: no migrate step). */
describe('CLI tenant name and logo', () => {
  let backend: Backend;
  before(async () => {
    backend = await createBackend('embedded');
  });
  after(() => backend.dispose());

  it('tenant create --logo-url and tenant set change the tenant name and logo; a bad URL is refused with exit 2', async () => {
    const env = backend.env;
    const logo = 'https://cdn.acme.example/logo.svg';
    const created = await cli(env, ['tenant', 'create', '--name', 'acme', '--display-name', 'Acme', '--logo-url', logo]);
    expect(created.tenant).to.include({ name: 'acme', displayName: 'Acme', logoUrl: logo });

    // (every rule of the URL is tested through the admin API, which shares it)
    const refused = await runCli(env, ['tenant', 'set', '--name', 'acme', '--display-name', 'Changed', '--logo-url', 'http://cdn.acme.example/logo.svg']);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include('--logo-url: Logo URL must be an https URL');

    const set = await cli(env, ['tenant', 'set', '--name', 'acme', '--display-name', 'Acme Inc.', '--logo-url', '']);
    expect(set.tenant).to.include({ display_name: 'Acme Inc.', logo_url: null });
  });
});
