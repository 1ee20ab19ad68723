/**
 * The baseline of bench/token.ts: the same oidc-provider package Latchkey uses, with its
 * default in-memory adapter, one static confidential client allowed client_credentials,
 * and nothing else in front of it (no Koa app of ours, no database, no Redis).
 *
 * Settings come from the environment: PORT, ISSUER, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET.
 * Every default oidc-provider warns about on the client_credentials path is set; the one
 * notice left is about the in-memory adapter, which is the point of the baseline.
 * SIGTERM/SIGINT close the server and exit 0 (so that `--cpu-prof` profiles are written).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { type Configuration } from 'oidc-provider';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`bare-provider: ${name} is required\n`);
    process.exit(2);
  }
  return value;
}

const port = Number(process.env.PORT ?? 0);
const issuer = process.env.ISSUER ?? `http://127.0.0.1:${port}`;
const clientId = required('BENCH_CLIENT_ID');
const clientSecret = required('BENCH_CLIENT_SECRET');

// Real signing keys, the same algorithms Latchkey publishes (unused for opaque tokens), keep
// oidc-provider from using its development keys.
const jwks = [
  { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' },
  { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', alg: 'RS256', use: 'sig' },
];

const configuration: Configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: jwks as never },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
  },
  clientBasedCORS: () => false,
  // the same lifetime as Latchkey's default ACCESS_TOKEN_TTL
  ttl: { ClientCredentials: 900, AccessToken: 900 } as never,
};

const provider = new Provider(issuer, configuration);
// Silent on success, like Latchkey at LOG_LEVEL=warn: the bench reports any output.
const server = provider.listen(port, '127.0.0.1');
server.on('error', (err) => {
  process.stderr.write(`bare-provider: ${err.message}\n`);
  process.exit(1);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
