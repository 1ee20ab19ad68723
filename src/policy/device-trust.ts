import { parseAddress } from '../lib/ip.ts';
import type { DevicePolicy } from './tenant-policy.ts';

/**
 * Does a remembered device let this sign-in skip the second factor? Decided from the tenant's
 * device policy, what the device service recognised from the cookie, and when the user last
 * completed a second factor. Pure: time comes in as `now` (epoch milliseconds).
 *
 * It answers only for the device; decideSecondFactor decides whether a skip may apply at all
 * (never to a step-up request, a strict network or a user who must enrol).
 */

/** what the device service found for the browser's cookie ('ok': a valid device of this user) */
export const DEVICE_RECOGNITIONS = ['ok', 'no-cookie', 'unknown', 'other-user', 'expired', 'ua-mismatch', 'ip-mismatch'] as const;
export type DeviceRecognition = (typeof DEVICE_RECOGNITIONS)[number];

export type DeviceTrustReason =
  /** a valid remembered device, and the last second factor is recent enough */
  | 'remembered'
  /** no cookie, or one that is forged, another user's, or seen in another browser */
  | 'no-device'
  | 'expired'
  /** 'browser+ip' binding and the request comes from another address */
  | 'ip-changed'
  /** the user's last second factor is older than the re-check period, or not known */
  | 'recheck-due';

export interface DeviceTrustDecision {
  skip: boolean;
  reason: DeviceTrustReason;
}

type Instant = Date | number;

export interface DeviceTrustInput {
  policy: DevicePolicy;
  recognised: DeviceRecognition;
  /** the device the service recognised; createdAt lets a shortened trust period apply to older devices */
  device?: { expiresAt: Instant; createdAt?: Instant; boundIp: string | null } | undefined;
  lastSecondFactorAt?: Instant | null | undefined;
  /** the client's address */
  ip: string;
  now: number;
}

const DAY_MS = 86_400_000;

const toMs = (t: Instant): number => (typeof t === 'number' ? t : t.getTime());

/** The canonical text of an address (IPv4-mapped IPv6 as IPv4), or undefined when it is none. */
export function canonicalIp(text: string): string | undefined {
  return typeof text === 'string' ? parseAddress(text)?.toString() : undefined;
}

/**
 * When a device stops being trusted: its stored expiry, or sooner when the tenant has since
 * shortened the trust period.
 */
export function deviceTrustEnds(device: { expiresAt: Instant; createdAt?: Instant | undefined }, policy: DevicePolicy): number {
  const stored = toMs(device.expiresAt);
  return device.createdAt === undefined ? stored : Math.min(stored, toMs(device.createdAt) + policy.trustDays * DAY_MS);
}

/** With 'browser+ip', a device counts only from the address it was remembered at. */
export function deviceAddressMatches(boundIp: string | null, ip: string, policy: DevicePolicy): boolean {
  if (policy.binding === 'browser') return true;
  const here = canonicalIp(ip);
  return boundIp !== null && here !== undefined && here === canonicalIp(boundIp);
}

export function secondFactorRecheckDue(lastSecondFactorAt: Instant | null | undefined, policy: DevicePolicy, now: number): boolean {
  if (lastSecondFactorAt === null || lastSecondFactorAt === undefined) return true;
  const last = toMs(lastSecondFactorAt);
  return !Number.isFinite(last) || now - last > policy.recheckDays * DAY_MS;
}

const NOT_RECOGNISED: Record<Exclude<DeviceRecognition, 'ok'>, DeviceTrustReason> = {
  'no-cookie': 'no-device',
  unknown: 'no-device',
  'other-user': 'no-device',
  'ua-mismatch': 'no-device',
  expired: 'expired',
  'ip-mismatch': 'ip-changed',
};

export function deviceSkipsSecondFactor(input: DeviceTrustInput): DeviceTrustDecision {
  const { policy, device, now } = input;
  if (input.recognised !== 'ok') {
    return { skip: false, reason: Object.hasOwn(NOT_RECOGNISED, input.recognised) ? NOT_RECOGNISED[input.recognised] : 'no-device' };
  }
  if (!device) return { skip: false, reason: 'no-device' };
  // checked again here so a recognition carried over from earlier in the sign-in cannot outlive the device
  if (!(now < deviceTrustEnds(device, policy))) return { skip: false, reason: 'expired' };
  if (!deviceAddressMatches(device.boundIp, input.ip, policy)) return { skip: false, reason: 'ip-changed' };
  if (secondFactorRecheckDue(input.lastSecondFactorAt, policy, now)) return { skip: false, reason: 'recheck-due' };
  return { skip: true, reason: 'remembered' };
}
