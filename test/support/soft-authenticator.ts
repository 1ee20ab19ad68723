import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * A WebAuthn authenticator in software, for tests over HTTP: it answers the options a page hands
 * navigator.credentials.create and .get the way a browser and a platform authenticator would
 * (attestation 'none', ES256 keys on P-256, user verification done), and can be told to
 * misbehave: a counter that went back (a cloned key), no user verification, another origin or
 * another relying party's id.
 */

/** the few CBOR types WebAuthn needs (RFC 8949, shortest-form heads, as authenticators write them) */
export type CborValue = number | string | Uint8Array | CborValue[] | Map<number | string, CborValue>;

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(length, 1);
    return b;
  }
  if (length < 0x100000000) {
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(length, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = (major << 5) | 27;
  b.writeBigUInt64BE(BigInt(length), 1);
  return b;
}

export function cbor(value: CborValue): Buffer {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`cbor: ${value} is not an integer`);
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, text.length), text]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
/** COSE: key type EC2, algorithm ES256, curve P-256 */
const ES256 = -7;

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest();
const b64url = (data: Uint8Array) => Buffer.from(data).toString('base64url');

export interface SoftCredential {
  id: Buffer;
  rpId: string;
  /** base64url, as the options named the user */
  userHandle: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** the signature counter this authenticator last reported */
  counter: number;
}

export interface AssertionOverrides {
  /** report this counter (a cloned key's, say) instead of the next one; the authenticator's own stays */
  counter?: number;
  /** false: the user was present but not verified (no PIN or biometric) */
  userVerified?: boolean;
  /** the origin the browser puts in clientDataJSON (a look-alike site's) */
  origin?: string;
  /** the relying party id whose hash goes into the authenticator data */
  rpId?: string;
  /** which of the authenticator's credentials answers (default: the newest one the options allow) */
  credentialId?: string;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  /** a synced passkey (iCloud Keychain, Google Password Manager): backup eligible and backed up, its counter always 0 */
  readonly synced: boolean;

  constructor(options: { synced?: boolean } = {}) {
    this.synced = options.synced ?? false;
  }

  private flags(userVerified: boolean, attested: boolean): number {
    return FLAG_UP | (userVerified ? FLAG_UV : 0) | (this.synced ? FLAG_BE | FLAG_BS : 0) | (attested ? FLAG_AT : 0);
  }

  private static authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  private static clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create: a new discoverable credential for the options' relying party and user */
  create(options: PublicKeyCredentialCreationOptionsJSON, origin: string): RegistrationResponseJSON {
    if (!options.pubKeyCredParams.some((p) => p.alg === ES256)) throw new Error('soft authenticator: the options do not accept ES256');
    const rpId = options.rp.id ?? new URL(origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => c.rpId === rpId && excluded.has(b64url(c.id)))) {
      throw new Error('soft authenticator: a credential of this authenticator is excluded (InvalidStateError)');
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = cbor(
      new Map<number, CborValue>([
        [1, 2],
        [3, ES256],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const credential: SoftCredential = { id: randomBytes(32), rpId, userHandle: options.user.id, privateKey, publicKey, counter: 0 };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, credential.id, coseKey]);
    const authData = SoftAuthenticator.authData(rpId, this.flags(true, true), credential.counter, attested);
    const attestationObject = cbor(
      new Map<string, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    this.credentials.push(credential);
    const id = b64url(credential.id);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(SoftAuthenticator.clientData('webauthn.create', options.challenge, origin)),
        attestationObject: b64url(attestationObject),
        transports: this.synced ? ['hybrid', 'internal'] : ['internal'],
        publicKeyAlgorithm: ES256,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get: an assertion by one of the credentials the options allow (any of the relying party's when they list none) */
  get(options: PublicKeyCredentialRequestOptionsJSON, origin: string, overrides: AssertionOverrides = {}): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(origin).hostname;
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const candidates = this.credentials.filter(
      (c) =>
        c.rpId === rpId &&
        (allowed.size === 0 || allowed.has(b64url(c.id))) &&
        (overrides.credentialId === undefined || b64url(c.id) === overrides.credentialId),
    );
    const credential = candidates.at(-1);
    if (!credential) throw new Error('soft authenticator: no credential for these options (NotAllowedError)');
    let counter = overrides.counter;
    if (counter === undefined) {
      if (!this.synced) credential.counter += 1;
      counter = credential.counter;
    }
    const authData = SoftAuthenticator.authData(overrides.rpId ?? rpId, this.flags(overrides.userVerified ?? true, false), counter);
    const clientData = SoftAuthenticator.clientData('webauthn.get', options.challenge, overrides.origin ?? origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), { key: credential.privateKey, dsaEncoding: 'der' });
    const id = b64url(credential.id);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
