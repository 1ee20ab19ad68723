// Strength feedback as the user types a new password. Served from /assets (CSP: script-src 'self').
(() => {
  const input = document.querySelector('input[data-strength-action]');
  const meter = document.getElementById('password-meter');
  const csrf = document.querySelector('input[name="csrf"]');
  if (!input || !meter || !csrf) return;
  let timer;
  let seq = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++seq;
      if (!input.value) { meter.textContent = ''; return; }
      try {
        const res = await fetch(input.dataset.strengthAction, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ csrf: csrf.value, password: input.value }),
          credentials: 'same-origin',
        });
        if (!res.ok || mine !== seq) return;
        const body = await res.json();
        meter.replaceChildren();
        const lines = body.ok ? [meter.dataset.ok || 'OK'] : [...body.messages, ...body.advice];
        for (const text of lines) {
          const p = document.createElement('p');
          p.textContent = text;
          meter.append(p);
        }
        meter.className = body.ok ? 'meter meter-ok' : 'meter meter-weak';
      } catch { /* feedback is a convenience; the server checks on submit */ }
    }, 300);
  });
})();
