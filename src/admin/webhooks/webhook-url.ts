import { AppError } from '../../lib/errors.ts';
import { hostOf, isPrivateLiteral } from '../../lib/outbound-guard.ts';

const MAX_URL = 2048;

/**
 * A webhook target as stored: http(s) without credentials or fragment, https in production, and
 * no literal private address or localhost unless OUTBOUND_ALLOW_PRIVATE_ADDRESSES is set (names
 * are checked again against what they resolve to at every send).
 */
export function checkWebhookUrl(raw: string, options: { allowPrivate: boolean; requireHttps: boolean }): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('must be an absolute http or https URL');
  }
  if (raw.length > MAX_URL) throw invalid(`must be at most ${MAX_URL} characters`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !options.requireHttps)) {
    throw invalid(options.requireHttps ? 'must be an https URL' : 'must be an http or https URL');
  }
  if (url.username || url.password) throw invalid('must not carry credentials');
  if (url.hash || raw.includes('#')) throw invalid('must not have a fragment');
  const host = hostOf(url);
  const local = host === 'localhost' || host.endsWith('.localhost') || isPrivateLiteral(url);
  if (local && !options.allowPrivate) {
    throw new AppError(400, 'webhook.private_address', 'The webhook URL points to a loopback or private address');
  }
  return url.toString();
}

const invalid = (message: string) => new AppError(400, 'webhook.invalid_url', `The webhook URL ${message}`);
