import type { Configuration } from 'oidc-provider';

/**
 * What clients that hold keys may do beyond authenticating with them (private_key_jwt and
 * client_secret_jwt are on by default, verified against the client's jwks, jwks_uri or secret;
 * each assertion's jti is kept by the ReplayDetection model until it expires, so it is used once):
 * send their authorization request as a request object signed with that key (JAR, RFC 9101).
 * Unsigned request objects are refused (alg none is not among the accepted algorithms).
 */
export const clientKeyFeatures = {
  requestObjects: { enabled: true, requireSignedRequestObject: false },
} satisfies Configuration['features'];
