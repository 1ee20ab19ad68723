import type { PasswordFailure } from '../policy/password-rules.ts';
import type { Renderer } from '../http/views.ts';

/** One clear sentence per failed rule, in the user's language. */
export function passwordMessages(renderer: Renderer, locale: string, failures: PasswordFailure[]): string[] {
  return failures.map((f) => {
    switch (f.rule) {
      case 'too_short':
        return renderer.translate('password.rule.tooShort', locale, { min: f.min });
      case 'too_long':
        return renderer.translate('password.rule.tooLong', locale, { max: f.max });
      case 'missing_classes':
        return renderer.translate('password.rule.missingClasses', locale, {
          classes: f.classes.map((c) => renderer.translate(`password.class.${c}`, locale)).join(', '),
        });
      case 'too_weak':
        return renderer.translate('password.rule.tooWeak', locale);
      case 'common':
        return renderer.translate('password.rule.common', locale);
      case 'reused':
        return renderer.translate('password.rule.reused', locale, { count: f.count });
      default:
        return f satisfies never;
    }
  });
}
