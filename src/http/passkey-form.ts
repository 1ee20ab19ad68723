import type { Renderer } from './views.ts';

/**
 * What the pages of a passkey ceremony need (views/partials/passkey-form.hbs): where the answer
 * goes, the options the browser gets, and the texts around it. The ceremony itself runs in the
 * browser (public/passkey.js); the answer is checked in src/factors/passkeys.ts.
 */
export interface PasskeyForm {
  action: string;
  ceremony: 'create' | 'get';
  /** JSON of the options (an attribute: escaped by the template) */
  options: string;
  button: string;
  failed: string;
  primary: boolean;
  autofill?: boolean;
  withName?: boolean;
  name?: string;
  remember?: boolean;
}

export function passkeyForm(
  deps: { renderer: Renderer },
  locale: string,
  input: { action: string; ceremony: 'create' | 'get'; options: Record<string, unknown>; button: string; primary: boolean } & Partial<
    Omit<PasskeyForm, 'options'>
  >,
): PasskeyForm {
  const t = (key: string) => deps.renderer.translate(key, locale);
  return {
    ...input,
    options: JSON.stringify(input.options),
    failed: t(input.ceremony === 'create' ? 'passkey.createFailed' : 'passkey.cancelled'),
  };
}

/** the form that creates a passkey: the options of navigator.credentials.create, and a name for it */
export function newPasskeyForm(
  deps: { renderer: Renderer },
  locale: string,
  input: { action: string; options: Record<string, unknown>; remember?: boolean },
): PasskeyForm {
  const t = (key: string) => deps.renderer.translate(key, locale);
  return passkeyForm(deps, locale, { ...input, ceremony: 'create', button: t('passkey.create'), primary: true, withName: true, name: t('factor.passkey') });
}
