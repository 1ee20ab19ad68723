import { expect } from 'chai';
import { generateTotpSecret, normalizeTotpCode, totpCodeAt, totpStepAt, totpUri, verifyTotp } from '../../src/factors/totp.ts';
import { qrSvg } from '../../src/factors/qr.ts';

// RFC 6238 appendix B: the ASCII key "12345678901234567890" (base32 below); the reference
// values are 8 digits, authenticator apps show their last 6
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: [seconds: number, code: string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
];
const STEP_MS = 30_000;

describe('TOTP (RFC 6238)', () => {
  it('computes the RFC 6238 reference codes and accepts each at its time, returning its step', async () => {
    for (const [seconds, code] of RFC_VECTORS) {
      expect(await totpCodeAt(RFC_SECRET, seconds * 1000)).to.equal(code);
      expect(await verifyTotp(RFC_SECRET, code, seconds * 1000)).to.equal(Math.floor(seconds / 30));
    }
  });

  // at the first, a middle and the last second of a step, so the window is exactly one step either way
  for (const offsetMs of [0, 14_000, 29_999]) {
    describe(`with a fixed clock ${offsetMs} ms into a step`, () => {
      const secret = generateTotpSecret();
      const step = 57_600_000;
      const now = step * STEP_MS + offsetMs;
      const codeOfStep = (s: number) => totpCodeAt(secret, s * STEP_MS + 1_000);

      it('accepts the current code and the codes of the previous and next steps, telling which step matched', async () => {
        expect(totpStepAt(now)).to.equal(step);
        expect(await verifyTotp(secret, await codeOfStep(step), now)).to.equal(step);
        expect(await verifyTotp(secret, await codeOfStep(step - 1), now)).to.equal(step - 1);
        expect(await verifyTotp(secret, await codeOfStep(step + 1), now)).to.equal(step + 1);
      });

      it('refuses the codes of two steps before and after', async () => {
        const current = await codeOfStep(step);
        for (const far of [step - 2, step + 2, step - 3, step + 3]) {
          const code = await codeOfStep(far);
          if (code === current) continue; // a 1-in-a-million collision would test nothing
          expect(await verifyTotp(secret, code, now), `step ${far - step}`).to.equal(null);
        }
      });
    });
  }

  it('ignores spaces in a code but refuses anything other than six ASCII digits, without throwing', async () => {
    const now = 1_700_000_000_000;
    const code = await totpCodeAt(RFC_SECRET, now);
    expect(await verifyTotp(RFC_SECRET, ` ${code.slice(0, 3)} ${code.slice(3)} `, now)).to.equal(totpStepAt(now));
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const refused: unknown[] = [
      wrong,
      code.slice(0, 5),
      `${code}0`,
      `${code.slice(0, 5)}a`,
      'abcdef',
      '',
      `-${code.slice(1)}`,
      `${code}\u0000`,
      '١٢٣٤٥٦',
      `${code.slice(0, 3)}-${code.slice(3)}`,
      Number(code),
      undefined,
      null,
      [code],
    ];
    for (const input of refused) {
      expect(await verifyTotp(RFC_SECRET, input, now), JSON.stringify(input)).to.equal(null);
    }
    expect(normalizeTotpCode('12 34 56')).to.equal('123456');
    expect(normalizeTotpCode('12345x')).to.equal(null);
  });
});

describe('TOTP enrollment', () => {
  it('makes 160-bit base32 secrets, a different one each time', () => {
    const a = generateTotpSecret();
    expect(a).to.match(/^[A-Z2-7]{32}$/); // 32 base32 characters carry 160 bits
    expect(generateTotpSecret()).to.not.equal(a);
  });

  it('builds the otpauth URI with the issuer, the account and the secret, Latchkey by default', () => {
    const secret = generateTotpSecret();
    const uri = new URL(totpUri({ secret, accountName: 'alice@example.com', issuer: 'Acme Mail' }));
    expect(uri.protocol).to.equal('otpauth:');
    expect(uri.host).to.equal('totp');
    expect(decodeURIComponent(uri.pathname)).to.equal('/Acme Mail:alice@example.com');
    expect(uri.searchParams.get('secret')).to.equal(secret);
    expect(uri.searchParams.get('issuer')).to.equal('Acme Mail');
    const fallback = new URL(totpUri({ secret, accountName: 'bob@example.com' }));
    expect(fallback.searchParams.get('issuer')).to.equal('Latchkey');
    // a colon would split the label differently in the app
    expect(decodeURIComponent(new URL(totpUri({ secret, accountName: 'a@b.c', issuer: 'Evil: Corp' })).pathname)).to.equal('/Evil Corp:a@b.c');
  });

  it('draws the QR code as a script-free SVG', async () => {
    const svg = await qrSvg(totpUri({ secret: generateTotpSecret(), accountName: 'alice@example.com' }));
    expect(svg).to.match(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trim()).to.match(/<\/svg>$/);
    expect(svg).to.include('<path');
    expect(svg).to.not.match(/<script|\son\w+=|javascript:/i);
    let thrown: unknown;
    try {
      await qrSvg('');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(Error);
  });
});
