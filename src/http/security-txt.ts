import Router from '@koa/router';
import type { Settings } from '../config/schema.ts';
import type { Renderer } from './views.ts';

/** the contact for vulnerability reports: the setting, else security@ the issuer's host */
export function securityContact(settings: Pick<Settings, 'SECURITY_CONTACT'>, issuer: string): string {
  return settings.SECURITY_CONTACT ?? `mailto:security@${new URL(issuer).hostname}`;
}

/**
 * /.well-known/security.txt (RFC 9116) and /security, the page the sign-in footer links to.
 * Expires is counted from the start of this process, so a running server never serves an
 * expired file.
 */
export function createSecurityRouter(settings: Settings, issuer: string, renderer: Renderer, now: () => number): Router {
  const contact = securityContact(settings, issuer);
  const expires = new Date(now() + settings.SECURITY_TXT_DAYS * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const body = [
    `Contact: ${contact}`,
    `Expires: ${expires}`,
    ...(settings.SECURITY_POLICY_URL ? [`Policy: ${settings.SECURITY_POLICY_URL}`] : []),
    'Preferred-Languages: en',
    `Canonical: ${issuer}/.well-known/security.txt`,
    '',
  ].join('\n');
  const router = new Router();
  router.get('/.well-known/security.txt', (ctx) => {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = body;
  });
  router.get('/security', (ctx) => {
    const locale = ctx.state.locale;
    ctx.type = 'html';
    ctx.body = renderer.render(
      'security',
      {
        title: renderer.translate('security.title', locale),
        contact,
        contactText: contact.replace(/^(mailto|tel):/, ''),
        ...(settings.SECURITY_POLICY_URL ? { policy: settings.SECURITY_POLICY_URL } : {}),
      },
      locale,
    );
  });
  return router;
}
