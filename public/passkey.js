// Passkey ceremonies on the sign-in and account pages. Served from /assets after the WebAuthn
// browser library (CSP: script-src 'self'). A form marked data-passkey holds the options the
// server made (data-passkey-options, JSON); the browser's answer goes into its hidden
// "credential" field and the form is posted. Without WebAuthn the passkey forms stay hidden and
// the pages where a passkey is the way on say why (data-passkey-unsupported).
(() => {
  const webauthn = window.SimpleWebAuthnBrowser;
  if (!webauthn || !webauthn.browserSupportsWebAuthn()) {
    for (const note of document.querySelectorAll('[data-passkey-unsupported]')) note.hidden = false;
    return;
  }

  const post = (form, answer) => {
    form.querySelector('input[name="credential"]').value = JSON.stringify(answer);
    form.submit();
  };
  const failed = (form) => {
    const status = form.querySelector('[data-passkey-status]');
    if (status) status.textContent = form.dataset.passkeyFailed || '';
  };
  const ceremony = async (form, extra) => {
    const optionsJSON = JSON.parse(form.dataset.passkeyOptions);
    return form.dataset.passkey === 'create'
      ? webauthn.startRegistration({ optionsJSON })
      : webauthn.startAuthentication({ optionsJSON, ...extra });
  };
  // one ceremony at a time (the library aborts the one before): only the latest may report or post
  let latest = 0;

  // conditional UI: the browser offers the user's passkeys in the email field's autofill
  const offerAutofill = async (form) => {
    if (!(await webauthn.browserSupportsWebAuthnAutofill())) return;
    const mine = ++latest;
    try {
      const answer = await ceremony(form, { useBrowserAutofill: true });
      if (mine === latest) post(form, answer);
    } catch {
      /* the user picked no passkey, or the button started its own ceremony */
    }
  };

  for (const form of document.querySelectorAll('form[data-passkey]')) {
    const autofill = form.dataset.passkeyAutofill === 'true';
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const mine = ++latest;
      try {
        const answer = await ceremony(form, {});
        if (mine === latest) post(form, answer);
      } catch {
        // a second click's ceremony replaced this one: that one reports
        if (mine !== latest) return;
        failed(form);
        // the button's ceremony ended the autofill's: the email field offers passkeys again
        if (autofill) offerAutofill(form);
      }
    });
    if (autofill) offerAutofill(form);
  }
})();
