// Passkey ceremonies on the sign-in and account pages. Served from /assets after the WebAuthn
// browser library (CSP: script-src 'self'). A form marked data-passkey holds the options the
// server made (data-passkey-options, JSON); the browser's answer goes into its hidden
// "credential" field and the form is posted. Without WebAuthn the passkey forms stay hidden.
(() => {
  const webauthn = window.SimpleWebAuthnBrowser;
  if (!webauthn || !webauthn.browserSupportsWebAuthn()) return;

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

  for (const form of document.querySelectorAll('form[data-passkey]')) {
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        post(form, await ceremony(form, {}));
      } catch {
        failed(form);
      }
    });
    // conditional UI: the browser offers the user's passkeys in the email field's autofill
    if (form.dataset.passkeyAutofill === 'true') {
      webauthn.browserSupportsWebAuthnAutofill().then(async (supported) => {
        if (!supported) return;
        try {
          post(form, await ceremony(form, { useBrowserAutofill: true }));
        } catch {
          /* the user picked no passkey, or the button started its own ceremony */
        }
      });
    }
  }
})();
