import { expect } from 'chai';
import {
  DEVICE_RECOGNITIONS,
  canonicalIp,
  deviceAddressMatches,
  deviceSkipsSecondFactor,
  deviceTrustEnds,
  secondFactorRecheckDue,
  type DeviceRecognition,
  type DeviceTrustInput,
} from '../../../src/policy/device-trust.ts';
import { DEVICE_BINDINGS, devicePolicySchema, type DeviceBinding, type DevicePolicy } from '../../../src/policy/tenant-policy.ts';

const DAY = 86_400_000;
const now = 1_800_000_000_000;
const HOME = '203.0.113.7';
const CAFE = '198.51.100.20';
const policyOf = (overrides: Partial<DevicePolicy> = {}): DevicePolicy => devicePolicySchema.parse(overrides);

/** device states over the default policy (trust 14 days, re-check 30 days) */
const DEVICES = {
  fresh: { createdAt: now - DAY, expiresAt: now + 13 * DAY },
  'last moment': { createdAt: now - 14 * DAY + 1, expiresAt: now + 1 },
  'just expired': { createdAt: now - 14 * DAY, expiresAt: now },
  'long expired': { createdAt: now - 100 * DAY, expiresAt: now - 86 * DAY },
};
type DeviceState = keyof typeof DEVICES;
const EXPIRED: readonly DeviceState[] = ['just expired', 'long expired'];

/** when the user last completed a second factor */
const LAST_2FA: Record<string, number | null | undefined> = {
  'a minute ago': now - 60_000,
  '30 days ago exactly': now - 30 * DAY,
  '30 days and a second ago': now - 30 * DAY - 1000,
  '200 days ago': now - 200 * DAY,
  never: null,
  unknown: undefined,
};
const RECHECK_DUE = new Set(['30 days and a second ago', '200 days ago', 'never', 'unknown']);

/** where the request comes from, relative to the address the device was remembered at */
const PLACES = { same: HOME, 'same, IPv4-mapped': `::ffff:${HOME}`, other: CAFE, unreadable: 'garbage' };
type Place = keyof typeof PLACES;

function decide(overrides: Partial<DeviceTrustInput>) {
  return deviceSkipsSecondFactor({ policy: policyOf(), recognised: 'ok', ip: HOME, now, ...overrides });
}

describe('deviceSkipsSecondFactor', () => {
  describe('every recognition × device state × binding × place × last 2FA', () => {
    for (const recognised of DEVICE_RECOGNITIONS) {
      for (const state of Object.keys(DEVICES) as DeviceState[]) {
        for (const binding of DEVICE_BINDINGS) {
          it(`${recognised}, ${state}, ${binding} (every place × last 2FA)`, () => {
            for (const place of Object.keys(PLACES) as Place[]) {
              for (const [lastName, last] of Object.entries(LAST_2FA)) {
                const d = decide({
                  policy: policyOf({ binding }),
                  recognised,
                  device: { ...DEVICES[state], boundIp: binding === 'browser+ip' ? HOME : null },
                  lastSecondFactorAt: last,
                  ip: PLACES[place],
                });
                expect(d, `${place} address, last 2FA ${lastName}`).to.deep.equal(expected(recognised, state, binding, place, lastName));
              }
            }
          });
        }
      }
    }
  });

  /** the rules written out: the service's verdict first, then expiry, address, re-check */
  function expected(recognised: DeviceRecognition, state: DeviceState, binding: DeviceBinding, place: Place, lastName: string) {
    if (recognised === 'expired') return { skip: false, reason: 'expired' };
    if (recognised === 'ip-mismatch') return { skip: false, reason: 'ip-changed' };
    if (recognised !== 'ok') return { skip: false, reason: 'no-device' };
    if (EXPIRED.includes(state)) return { skip: false, reason: 'expired' };
    if (binding === 'browser+ip' && !place.startsWith('same')) return { skip: false, reason: 'ip-changed' };
    if (RECHECK_DUE.has(lastName)) return { skip: false, reason: 'recheck-due' };
    return { skip: true, reason: 'remembered' };
  }

  it('a remembered device skips from any address with the browser binding (the ip-allowlist setup: "regardless of the IP address")', () => {
    for (const ip of [HOME, CAFE, '2001:db8::1', 'garbage', '']) {
      expect(decide({ device: { ...DEVICES.fresh, boundIp: null }, lastSecondFactorAt: now - DAY, ip }), ip).to.deep.equal({
        skip: true,
        reason: 'remembered',
      });
    }
  });

  it('without a device the service said ok for, there is nothing to skip with', () => {
    expect(decide({ lastSecondFactorAt: now })).to.deep.equal({ skip: false, reason: 'no-device' });
  });

  it('refuses a recognition it does not know', () => {
    expect(decide({ recognised: 'maybe' as DeviceRecognition, device: { ...DEVICES.fresh, boundIp: null }, lastSecondFactorAt: now })).to.deep.equal({
      skip: false,
      reason: 'no-device',
    });
  });

  it("applies the tenant's re-check period (the email-always setup: 30 days after the last code, even on a trusted device)", () => {
    const device = { createdAt: now - DAY, expiresAt: now + 300 * DAY, boundIp: HOME };
    const emailAlways = policyOf({ trustDays: 365, recheckDays: 30, binding: 'browser+ip' });
    expect(decide({ policy: emailAlways, device, lastSecondFactorAt: now - 29 * DAY })).to.deep.equal({ skip: true, reason: 'remembered' });
    expect(decide({ policy: emailAlways, device, lastSecondFactorAt: now - 31 * DAY })).to.deep.equal({ skip: false, reason: 'recheck-due' });
    expect(decide({ policy: policyOf({ recheckDays: 1 }), device: { ...device, boundIp: null }, lastSecondFactorAt: now - 2 * DAY }).reason).to.equal(
      'recheck-due',
    );
  });

  it('takes times as Date or epoch milliseconds, as the services hand them over', () => {
    const device = { createdAt: new Date(now - DAY), expiresAt: new Date(now + DAY), boundIp: null };
    expect(decide({ device, lastSecondFactorAt: new Date(now - DAY) })).to.deep.equal({ skip: true, reason: 'remembered' });
    expect(decide({ device, lastSecondFactorAt: new Date(now - 31 * DAY) }).reason).to.equal('recheck-due');
    expect(decide({ device: { ...device, expiresAt: new Date(now) }, lastSecondFactorAt: now }).reason).to.equal('expired');
  });

  it('treats unreadable times as expired or due, never as trusted', () => {
    expect(decide({ device: { expiresAt: Number.NaN, boundIp: null }, lastSecondFactorAt: now }).reason).to.equal('expired');
    expect(decide({ device: { expiresAt: new Date('nope'), boundIp: null }, lastSecondFactorAt: now }).reason).to.equal('expired');
    expect(decide({ device: { expiresAt: now + DAY, boundIp: null }, lastSecondFactorAt: Number.NaN }).reason).to.equal('recheck-due');
  });
});

describe('deviceTrustEnds', () => {
  it('is the stored expiry, or sooner when the tenant has since shortened the trust period', () => {
    const device = { createdAt: now, expiresAt: now + 14 * DAY };
    expect(deviceTrustEnds(device, policyOf())).to.equal(now + 14 * DAY);
    expect(deviceTrustEnds(device, policyOf({ trustDays: 7 }))).to.equal(now + 7 * DAY);
    expect(deviceTrustEnds(device, policyOf({ trustDays: 30 })), 'a longer period does not extend a device').to.equal(now + 14 * DAY);
    expect(deviceTrustEnds({ expiresAt: now + 14 * DAY }, policyOf({ trustDays: 7 })), 'without createdAt').to.equal(now + 14 * DAY);
  });

  it('a device remembered 8 days ago stops skipping when the tenant cuts the period to 7 days', () => {
    const device = { createdAt: now - 8 * DAY, expiresAt: now + 6 * DAY, boundIp: null };
    expect(decide({ policy: policyOf({ trustDays: 7 }), device, lastSecondFactorAt: now - 8 * DAY })).to.deep.equal({ skip: false, reason: 'expired' });
  });
});

describe('deviceAddressMatches', () => {
  it('with the browser binding, every address matches', () => {
    expect(deviceAddressMatches(null, CAFE, policyOf())).to.equal(true);
    expect(deviceAddressMatches(HOME, CAFE, policyOf())).to.equal(true);
  });

  it('with browser+IP, only the bound address in any spelling', () => {
    const policy = policyOf({ binding: 'browser+ip' });
    expect(deviceAddressMatches(HOME, HOME, policy)).to.equal(true);
    expect(deviceAddressMatches(HOME, `::ffff:${HOME}`, policy)).to.equal(true);
    expect(deviceAddressMatches('2001:db8::1', '2001:0db8:0:0::1', policy)).to.equal(true);
    expect(deviceAddressMatches(HOME, CAFE, policy)).to.equal(false);
    expect(deviceAddressMatches(HOME, '203.0.113.8', policy)).to.equal(false);
    expect(deviceAddressMatches(null, HOME, policy), 'a device remembered before the tenant bound IPs').to.equal(false);
    expect(deviceAddressMatches('garbage', 'garbage', policy), 'two unreadable addresses are not the same place').to.equal(false);
  });
});

describe('secondFactorRecheckDue', () => {
  it('is due only once the last second factor is strictly older than the period, or unknown', () => {
    const policy = policyOf({ recheckDays: 30 });
    expect(secondFactorRecheckDue(now - 30 * DAY, policy, now)).to.equal(false);
    expect(secondFactorRecheckDue(now - 30 * DAY - 1, policy, now)).to.equal(true);
    expect(secondFactorRecheckDue(now + DAY, policy, now), 'a clock a little ahead').to.equal(false);
    expect(secondFactorRecheckDue(null, policy, now)).to.equal(true);
    expect(secondFactorRecheckDue(undefined, policy, now)).to.equal(true);
  });
});

describe('canonicalIp', () => {
  it('writes an address one way, and refuses what is none', () => {
    expect(canonicalIp(`::ffff:${HOME}`)).to.equal(HOME);
    expect(canonicalIp(' 2001:0db8::0001 ')).to.equal('2001:db8::1');
    for (const bad of ['', 'garbage', '203.0.113.0/24', '999.1.1.1']) expect(canonicalIp(bad), bad).to.equal(undefined);
  });
});
