import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';

/** Reading the passkey forms of the hosted pages (views/partials/passkey-form.hbs) in HTTP tests. */

/** an attribute's value as the template escaped it */
export function unescapeAttribute(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export interface PasskeyFormOnPage<O> {
  action: string;
  ceremony: string;
  autofill: boolean;
  options: O;
}

/** the passkey form (views/partials/passkey-form.hbs) whose action contains `actionPart`, with the options it hands the browser */
export function passkeyForm<O = PublicKeyCredentialRequestOptionsJSON>(html: string, actionPart: string): PasskeyFormOnPage<O> {
  for (const [, attrs = ''] of html.matchAll(/<form\b([^>]*)>/g)) {
    if (!attrs.includes('class="passkey-form"')) continue;
    const action = unescapeAttribute(/action="([^"]*)"/.exec(attrs)?.[1] ?? '');
    if (!action.includes(actionPart)) continue;
    return {
      action,
      ceremony: /data-passkey="([^"]*)"/.exec(attrs)?.[1] ?? '',
      autofill: attrs.includes('data-passkey-autofill="true"'),
      options: JSON.parse(unescapeAttribute(/data-passkey-options="([^"]*)"/.exec(attrs)?.[1] ?? '')) as O,
    };
  }
  throw new Error(`no passkey form with action containing ${actionPart} in:\n${html.slice(0, 2000)}`);
}
