import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { redirectUriProblem } from '../../src/accounts/client-redirect-uris.ts';
import { checkJwksUri, jwksSchema } from '../../src/accounts/client-keys.ts';
import { clientInputSchema } from '../../src/accounts/clients.ts';
import type { AppError } from '../../src/lib/errors.ts';

const publicJwk = (type: 'ec' | 'ed25519' | 'rsa', kid?: string) => {
  const { publicKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { ...publicKey.export({ format: 'jwk' }), ...(kid ? { kid } : {}) };
};

describe('client redirect URIs by application type (RFC 8252)', () => {
  it('a web application redirects to http(s) only', () => {
    for (const uri of ['https://app.example.test/cb', 'http://127.0.0.1:9/cb', 'http://localhost/cb'])
      expect(redirectUriProblem(uri, 'web'), uri).to.equal(undefined);
    expect(redirectUriProblem('com.example.app:/cb', 'web')).to.equal(
      'must be an http or https URL for a web application (a private-use scheme such as com.example.app:/callback is for a native application)',
    );
  });

  it('a native application: loopback over http, claimed https, reverse domain name schemes', () => {
    for (const uri of [
      'http://127.0.0.1/cb',
      'http://127.0.0.1:8080/cb',
      'http://[::1]/cb',
      'http://localhost/cb',
      'https://app.example.test/cb',
      'com.example.app:/oauth2redirect',
      'com.example.app:/',
      'io.example.notes-beta:/cb',
    ]) {
      expect(redirectUriProblem(uri, 'native'), uri).to.equal(undefined);
    }
    expect(redirectUriProblem('http://app.example.test/cb', 'native')).to.equal(
      'of a native application uses http only on the loopback interface (http://127.0.0.1/... or http://[::1]/...)',
    );
    expect(redirectUriProblem('http://127.0.0.2/cb', 'native')).to.match(/^of a native application uses http only on the loopback interface/);
    expect(redirectUriProblem('https://[::1]/cb', 'native')).to.equal('of a native application uses http, not https, on the loopback interface');
    for (const uri of ['myapp:/cb', 'vbscript:alert(1)', 'about:blank', 'blob:x']) {
      expect(redirectUriProblem(uri, 'native'), uri).to.equal(
        'of a native application uses a private-use scheme named after a domain in reverse order, such as com.example.app:/callback',
      );
    }
    expect(redirectUriProblem('not a url', 'native')).to.equal('must be an absolute URL');
  });
});

describe('client public keys (JWK Set)', () => {
  it('accepts RSA, EC and Ed25519 public keys, with or without kid', () => {
    const keys = [publicJwk('rsa', 'r1'), publicJwk('ec', 'e1'), publicJwk('ed25519', 'o1')];
    expect(jwksSchema.parse({ keys }).keys).to.deep.equal(keys);
    expect(jwksSchema.safeParse({ keys: [publicJwk('ec')] }).success).to.equal(true);
  });

  it('refuses private and symmetric keys, weak RSA, other curves, duplicate kids, empty and oversized sets', () => {
    const issues = (value: unknown) => (jwksSchema.safeParse(value).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(issues({ keys: [privateKey.export({ format: 'jwk' })] })).to.deep.equal([
      'keys.0: must be a public key: "d" belongs to the private key, which never leaves the application',
    ]);
    expect(issues({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })).to.deep.equal(['keys.0.kty: must be RSA, EC or OKP']);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    expect(issues({ keys: [weak] })).to.deep.equal(['keys.0: RSA keys have at least 2048 bits']);
    const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' });
    expect(issues({ keys: [secp256k1] })).to.deep.equal(['keys.0.crv: must be one of P-256, P-384, P-521']);
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
    expect(issues({ keys: [x25519] })).to.deep.equal(['keys.0.crv: must be one of Ed25519']);
    expect(issues({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }] })).to.deep.equal(['keys.0: is not a valid EC public key']);
    const twin = publicJwk('ec', 'same');
    expect(issues({ keys: [twin, { ...publicJwk('ec'), kid: 'same' }] })).to.deep.equal(['keys: each kid may appear only once']);
    expect(issues({ keys: [] })).to.deep.equal(['keys: must hold at least one key']);
    expect(issues({ keys: Array.from({ length: 11 }, (_, i) => publicJwk('ed25519', `k${i}`)) })).to.deep.equal(['keys: holds at most 10 keys']);
  });
});

describe('a client jwks_uri and the outbound rules', () => {
  const refusal = (uri: string, rules: { allowPrivate: boolean; requireHttps: boolean }) => {
    try {
      checkJwksUri(uri, rules);
      return undefined;
    } catch (err) {
      return { code: (err as AppError).code, message: (err as AppError).message };
    }
  };

  it('refuses loopback and private addresses unless they are allowed, and http in production', () => {
    const strict = { allowPrivate: false, requireHttps: true };
    expect(refusal('https://keys.example.test/jwks.json', strict)).to.equal(undefined);
    for (const uri of ['https://127.0.0.1/jwks', 'https://[::1]/jwks', 'https://10.1.2.3/jwks', 'https://localhost/jwks', 'https://keys.localhost/jwks']) {
      expect(refusal(uri, strict), uri).to.deep.equal({ code: 'client.private_address', message: 'jwksUri points to a loopback or private address' });
    }
    expect(refusal('http://keys.example.test/jwks.json', strict)).to.deep.equal({ code: 'client.invalid', message: 'jwksUri must be an https URL' });
    expect(refusal('http://127.0.0.1:8080/jwks', { allowPrivate: true, requireHttps: false })).to.equal(undefined);
  });
});

describe('client grants: refresh tokens follow a user sign-in', () => {
  const input = (grants: string[]) => ({
    tenantId: '00000000-0000-4000-8000-000000000001',
    name: 'CLI',
    redirectUris: [],
    grants,
    public: true,
  });
  const problems = (grants: string[]) => {
    const parsed = clientInputSchema.safeParse(input(grants));
    return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
  };

  it('lets a device-flow client hold refresh tokens (a CLI keeps signed in)', () => {
    expect(problems(['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'])).to.deep.equal([]);
  });

  it('refuses refresh tokens to a client without a user sign-in grant', () => {
    expect(problems(['refresh_token'])).to.include('refresh_token needs authorization_code or the device code grant');
  });
});
