import type RequestClient from 'twilio/lib/base/RequestClient.js';
import { AppError } from '../../lib/errors.ts';
import type { PhoneTransport, SpokenCode } from './phone-transport.ts';

type TwilioSdk = typeof import('twilio');
type TwilioClient = ReturnType<TwilioSdk>;

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  from: string;
  /** TWILIO_API_BASE_URL, without a trailing slash */
  apiBaseUrl: string;
}

const TWILIO_API = 'https://api.twilio.com';
const REQUEST_TIMEOUT_MS = 10_000;
/** Twilio error codes that blame the destination number rather than Twilio or us */
const NUMBER_REFUSED = new Set([13223, 13224, 21211, 21214, 21215, 21217, 21408, 21610, 21612, 21614]);

/**
 * SMS and calls through the official SDK. It is imported on the first use because it is
 * large (about 30 MB and 0.1 s), and most starts never send an SMS.
 */
export function twilioTransport(options: TwilioOptions): PhoneTransport {
  let loading: Promise<{ sdk: TwilioSdk; client: TwilioClient }> | undefined;
  const connect = () =>
    (loading ??= load(options).catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
  const run = async (what: 'SMS' | 'call', job: (sdk: TwilioSdk, client: TwilioClient) => Promise<{ sid: string }>) => {
    try {
      const { sdk, client } = await connect();
      return await job(sdk, client);
    } catch (err) {
      throw deliveryError(what, err, options);
    }
  };
  return {
    sendSms: (to, body) =>
      run('SMS', async (_sdk, client) => {
        const message = await client.messages.create({ to, from: options.from, body });
        return { sid: message.sid };
      }),
    placeCall: (to, spoken) =>
      run('call', async (sdk, client) => {
        const call = await client.calls.create({ to, from: options.from, twiml: voiceTwiml(sdk, spoken) });
        return { sid: call.sid };
      }),
  };
}

async function load(options: TwilioOptions): Promise<{ sdk: TwilioSdk; client: TwilioClient }> {
  const sdk = (await import('twilio')).default;
  const httpClient =
    options.apiBaseUrl === TWILIO_API
      ? new sdk.RequestClient({ timeout: REQUEST_TIMEOUT_MS })
      : new (rebasingRequestClient(sdk, new URL(options.apiBaseUrl)))({ timeout: REQUEST_TIMEOUT_MS });
  return { sdk, client: sdk(options.accountSid, options.authToken, { httpClient }) };
}

/**
 * The SDK has no base-URL option; its requests all pass through the RequestClient, so a
 * subclass moves each one to TWILIO_API_BASE_URL, keeping path and query (a path in the
 * setting goes in front, for gateways mounted under a prefix).
 */
function rebasingRequestClient(sdk: TwilioSdk, base: URL) {
  const prefix = base.pathname.replace(/\/+$/, '');
  return class RebasingRequestClient extends sdk.RequestClient {
    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      const original = new URL(opts.uri);
      return super.request<TData>({ ...opts, uri: `${base.origin}${prefix}${original.pathname}${original.search}` });
    }
  };
}

/** TwiML built by the SDK, so the text is XML-escaped; a pause between the two readings */
function voiceTwiml(sdk: TwilioSdk, spoken: SpokenCode): string {
  const response = new sdk.twiml.VoiceResponse();
  type SayAttributes = Parameters<typeof response.say>[0];
  const say = { language: spoken.language, ...(spoken.voice ? { voice: spoken.voice } : {}) } as SayAttributes;
  response.say(say, spoken.first);
  response.pause({ length: 1 });
  response.say(say, spoken.again);
  return response.toString();
}

interface TwilioRefusal {
  status: number;
  code?: number;
  message: string;
  moreInfo?: string;
}

/**
 * A clear error with Twilio's code and message. The SDK's network errors carry the request
 * configuration, Authorization header included, so they are never kept as the cause.
 */
function deliveryError(what: 'SMS' | 'call', err: unknown, options: TwilioOptions): AppError {
  const scrub = (text: string) => maskNumbers(text.split(options.authToken).join('[redacted]'));
  const refusal = twilioRefusal(err);
  if (refusal) {
    const code = refusal.code === undefined ? 'no error code' : `error ${refusal.code}`;
    const more = refusal.moreInfo ? ` (${refusal.moreInfo})` : '';
    const numberRefused = refusal.code !== undefined && NUMBER_REFUSED.has(refusal.code);
    return new AppError(
      numberRefused ? 400 : 502,
      numberRefused ? 'phone.number_refused' : 'phone.delivery_failed',
      scrub(`Twilio refused the ${what}: HTTP ${refusal.status}, ${code}: ${refusal.message}${more}`),
      { expose: false, details: { twilioStatus: refusal.status, ...(refusal.code === undefined ? {} : { twilioCode: refusal.code }) } },
    );
  }
  const networkCode = (err as { isAxiosError?: boolean; code?: unknown } | null)?.isAxiosError
    ? String((err as { code?: unknown }).code ?? 'network error')
    : undefined;
  if (networkCode) {
    return new AppError(
      502,
      'phone.delivery_failed',
      `Twilio could not be reached at ${new URL(options.apiBaseUrl).origin} to send the ${what} (${networkCode})`,
      { expose: false },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(502, 'phone.delivery_failed', scrub(`The ${what} could not be sent through Twilio: ${message}`), { expose: false });
}

/** RestException (legacy errors) and TwilioServiceException (RFC 9457 errors) of the SDK */
function twilioRefusal(err: unknown): TwilioRefusal | undefined {
  if (!(err instanceof Error) || (err as { isAxiosError?: boolean }).isAxiosError) return undefined;
  const e = err as Error & { status?: unknown; code?: unknown; moreInfo?: unknown; detail?: unknown };
  if (typeof e.status !== 'number') return undefined;
  return {
    status: e.status,
    ...(typeof e.code === 'number' && e.code > 0 ? { code: e.code } : {}),
    message: [e.message, typeof e.detail === 'string' ? e.detail : ''].filter(Boolean).join(' '),
    ...(typeof e.moreInfo === 'string' ? { moreInfo: e.moreInfo } : {}),
  };
}

/** Twilio's messages may quote the phone number; logs must not hold it in full */
function maskNumbers(text: string): string {
  return text.replace(/\+?\b\d{7,15}\b/g, (n) => n.replace(/\d(?=\d{2})/g, '*'));
}
