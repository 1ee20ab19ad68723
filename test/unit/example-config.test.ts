import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../src/config/load.ts';

describe('config/latchkey.example.json', () => {
  it('is a valid settings file (secrets come from the environment)', () => {
    const settings = loadSettings({ LATCHKEY_CONFIG_FILE: fileURLToPath(new URL('../../config/latchkey.example.json', import.meta.url)) });
    expect(settings.ISSUER).to.equal('https://login.example.com');
    expect(settings.TRUST_PROXY).to.deep.equal(['10.0.0.0/8']);
    expect(settings.ACCESS_TOKEN_TTL).to.equal(900);
  });
});
