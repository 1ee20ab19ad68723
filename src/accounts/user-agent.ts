import Bowser from 'bowser';

export interface UserAgentDescription {
  /** browser family, such as 'Firefox' or 'Microsoft Edge'; never its version */
  family: string;
  /** operating system, such as 'Windows' or 'iOS'; never its version */
  os: string;
  /** a device name to offer the user, such as 'Firefox on Windows' (at most 64 characters) */
  suggestedName: string;
}

export const UNKNOWN_BROWSER = 'Unknown browser';
export const UNKNOWN_OS = 'Unknown OS';

/** the header is the client's to choose: parse a bounded prefix so no input makes the parser slow */
const MAX_PARSED_LENGTH = 512;
const MAX_PART_LENGTH = 64;

/**
 * Browser family and OS from a User-Agent header, for naming and recognising a remembered
 * device. Versions are left out on purpose: a browser or OS update must not look like
 * another device.
 */
export function describeUserAgent(ua: string | undefined): UserAgentDescription {
  const header = typeof ua === 'string' ? ua.slice(0, MAX_PARSED_LENGTH).trim() : '';
  const parsed = header ? Bowser.parse(header) : undefined;
  const family = clean(parsed?.browser.name) ?? UNKNOWN_BROWSER;
  const os = clean(parsed?.os.name) ?? UNKNOWN_OS;
  return { family, os, suggestedName: suggestName(family, os) };
}

function clean(value: string | undefined): string | undefined {
  const text = value
    ?.replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_PART_LENGTH);
  return text || undefined;
}

function suggestName(family: string, os: string): string {
  return os === UNKNOWN_OS ? family : `${family} on ${os}`.slice(0, MAX_PART_LENGTH);
}
