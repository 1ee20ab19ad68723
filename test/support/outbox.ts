/** Reads the dev outbox of a running Latchkey (no SMTP_URL, outside production). */
export interface OutboxMessage {
  id: string;
  channel: string;
  to: string;
  subject: string;
  text: string;
  createdAt: string;
}

export async function outbox(url: string, to?: string): Promise<OutboxMessage[]> {
  const res = await fetch(`${url}/dev/outbox${to ? `?to=${encodeURIComponent(to)}` : ''}`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`outbox answered ${res.status}`);
  return ((await res.json()) as { messages: OutboxMessage[] }).messages;
}

/** waits for a message with this subject to arrive for `to` (emails go out in the background) */
export async function waitForMail(url: string, to: string, subject: string, after = 0): Promise<OutboxMessage> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = (await outbox(url, to)).find((m) => m.subject === subject && Date.parse(m.createdAt) >= after);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no "${subject}" email for ${to}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function linkIn(text: string, path: string): string {
  const match = new RegExp(`https?://\\S+${path}\\S*`).exec(text);
  if (!match) throw new Error(`no ${path} link in:\n${text}`);
  return match[0];
}
