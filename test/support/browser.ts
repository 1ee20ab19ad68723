/**
 * A small scripted browser over fetch: keeps cookies (per name, ignoring path scoping,
 * which only adds cookies the server ignores), follows redirects on this host, and reads
 * forms out of the HTML. Redirects to other origins are returned, not followed.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** every Set-Cookie line received, as sent (to check attributes) */
  readonly setCookieLines: string[] = [];
  readonly origin: string;
  headers: Record<string, string> = {};

  constructor(origin: string) {
    this.origin = origin;
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers, ...init.headers, accept: 'text/html' };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(new URL(url, this.origin), { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      this.setCookieLines.push(line);
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** follows same-origin redirects; stops at a page or a redirect elsewhere */
  async navigate(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<{ res: Response; url: string; html: string }> {
    let current = new URL(url, this.origin).toString();
    let res = await this.request(current, init);
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 20; hops += 1) {
      const next = new URL(res.headers.get('location') ?? '', current).toString();
      if (new URL(next).origin !== this.origin) return { res, url: next, html: '' };
      current = next;
      res = await this.request(current);
    }
    return { res, url: current, html: await res.text() };
  }
}

export interface ParsedForm {
  action: string;
  fields: Record<string, string>;
}

/** the form whose action contains `actionPart`, with its hidden and prefilled inputs */
export function findForm(html: string, actionPart: string): ParsedForm {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  for (const [, attrs = '', inner = ''] of forms) {
    const action = /action="([^"]*)"/.exec(attrs)?.[1]?.replace(/&amp;/g, '&') ?? '';
    if (!action.includes(actionPart)) continue;
    const fields: Record<string, string> = {};
    for (const [, input = ''] of inner.matchAll(/<input\b([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input)?.[1];
      const value = /value="([^"]*)"/.exec(input)?.[1] ?? '';
      if (name)
        fields[name] = value
          .replace(/&amp;/g, '&')
          .replace(/&#x3D;/g, '=')
          .replace(/&quot;/g, '"');
    }
    return { action, fields };
  }
  throw new Error(`no form with action containing ${actionPart} in:\n${html.slice(0, 2000)}`);
}
