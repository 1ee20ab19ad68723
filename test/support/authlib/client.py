"""An independent OAuth 2.0 client for the protocol tests: Authlib (Python), driven from the command line.

Each subcommand prints one JSON object on stdout: the token response, or
{"status": ..., "error": ..., "error_description": ...} when the server refuses. Secrets and
private keys are read from stdin (a PEM, a JWK as JSON, or a client secret), never from argv.

  token           client_credentials, the client authenticated by --auth
                  (private_key_jwt, client_secret_jwt, client_secret_basic)
  device-start    the device authorization request (RFC 8628 section 3.1)
  device-poll     polls the token endpoint with the device code until tokens or a final error,
                  one JSON line per refused poll on stderr
  token-exchange  RFC 8693: a subject token exchanged for a token for --resource

Run with Debian's /usr/bin/python3 (python3-authlib, python3-requests; scripts/ensure-python-client.sh).
"""

import argparse
import json
import sys
import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT

DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code'
TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'


def discover(issuer):
    res = requests.get(issuer.rstrip('/') + '/.well-known/openid-configuration', timeout=10)
    res.raise_for_status()
    return res.json()


def read_secret(auth):
    """the client secret or private key from stdin: a JWK (JSON) is handed over as a dict"""
    if auth == 'none':
        return None
    text = sys.stdin.read().strip()
    if auth == 'private_key_jwt' and text.startswith('{'):
        return json.loads(text)
    return text


class Client:
    """an OAuth2Session for one client, remembering the HTTP status of each token response"""

    def __init__(self, args):
        self.metadata = discover(args.issuer)
        self.token_endpoint = self.metadata['token_endpoint']
        self.session = OAuth2Session(
            args.client_id,
            read_secret(args.auth),
            token_endpoint_auth_method=args.auth,
            default_timeout=10,
        )
        if args.auth == 'private_key_jwt':
            self.session.register_client_auth_method(PrivateKeyJWT(self.token_endpoint, alg=args.alg))
        elif args.auth == 'client_secret_jwt':
            self.session.register_client_auth_method(ClientSecretJWT(self.token_endpoint))
        self.status = None
        self.session.register_compliance_hook('access_token_response', self._remember_status)

    def _remember_status(self, resp):
        self.status = resp.status_code
        return resp

    def token(self, **params):
        """a token request; the answer as a dict, refusals included"""
        try:
            return dict(self.session.fetch_token(self.token_endpoint, **params))
        except OAuthError as err:
            return {'status': self.status, 'error': err.error, 'error_description': err.description}


def cmd_token(args):
    client = Client(args)
    params = {'grant_type': 'client_credentials'}
    if args.resource:
        params['resource'] = args.resource
    if args.scope:
        params['scope'] = args.scope
    return client.token(**params)


def cmd_device_start(args):
    client = Client(args)
    session = client.session
    res = session.post(
        client.metadata['device_authorization_endpoint'],
        data={'scope': args.scope},
        headers={'Accept': 'application/json'},
        auth=session.client_auth(session.token_endpoint_auth_method),
        withhold_token=True,
    )
    return {'status': res.status_code, **res.json()}


def cmd_device_poll(args):
    client = Client(args)
    interval = args.interval
    deadline = time.monotonic() + args.expires_in
    while True:
        answer = client.token(grant_type=DEVICE_CODE, device_code=args.device_code)
        error = answer.get('error')
        if error not in ('authorization_pending', 'slow_down'):
            return answer
        print(json.dumps({'poll': error}), file=sys.stderr, flush=True)
        if error == 'slow_down':
            interval += 5
        if time.monotonic() + interval > deadline:
            return {'error': 'expired_token', 'error_description': 'gave up polling'}
        time.sleep(interval)


def cmd_token_exchange(args):
    client = Client(args)
    return client.token(
        grant_type=TOKEN_EXCHANGE,
        subject_token=args.subject_token,
        subject_token_type=args.subject_token_type,
        resource=args.resource,
    )


def main():
    parser = argparse.ArgumentParser(description='Authlib as an OAuth 2.0 client of an issuer')
    sub = parser.add_subparsers(dest='command', required=True)

    def command(name, handler, default_auth):
        p = sub.add_parser(name)
        p.add_argument('--issuer', required=True)
        p.add_argument('--client-id', required=True)
        p.add_argument('--auth', default=default_auth,
                       choices=['private_key_jwt', 'client_secret_jwt', 'client_secret_basic', 'client_secret_post', 'none'])
        p.add_argument('--alg', default='ES256', help='signing algorithm of a private_key_jwt assertion')
        p.set_defaults(handler=handler)
        return p

    p = command('token', cmd_token, 'private_key_jwt')
    p.add_argument('--resource')
    p.add_argument('--scope')

    p = command('device-start', cmd_device_start, 'none')
    p.add_argument('--scope', default='openid')

    p = command('device-poll', cmd_device_poll, 'none')
    p.add_argument('--device-code', required=True)
    p.add_argument('--interval', type=int, default=5)
    p.add_argument('--expires-in', type=int, default=600)

    p = command('token-exchange', cmd_token_exchange, 'client_secret_basic')
    p.add_argument('--subject-token', required=True)
    p.add_argument('--subject-token-type', default='urn:ietf:params:oauth:token-type:access_token')
    p.add_argument('--resource', required=True)

    args = parser.parse_args()
    print(json.dumps(args.handler(args)), flush=True)


if __name__ == '__main__':
    main()
