import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** the raw body, as signed */
  body: string;
  json: Record<string, any>;
}

/** a local HTTP endpoint that records every POST and answers with the statuses it is told (200 when none) */
export interface Receiver {
  url: string;
  /** the requests received since the last take, oldest first */
  take(): Received[];
  /** the next answers, in order */
  answer(...statuses: number[]): void;
  /** a pause before each answer, to widen races */
  delayMs: number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  let received: Received[] = [];
  const answers: number[] = [];
  const receiver: Receiver = {
    url: '',
    delayMs: 0,
    take: () => {
      const out = received;
      received = [];
      return out;
    },
    answer: (...statuses) => {
      answers.push(...statuses);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, any> = {};
      try {
        json = JSON.parse(body) as Record<string, any>;
      } catch {
        /* left empty: the assertions on json will say so */
      }
      received.push({ path: req.url ?? '', headers: req.headers, body, json });
      const status = answers.shift() ?? 200;
      setTimeout(() => {
        res.statusCode = status;
        res.end(status < 300 ? 'ok' : 'no');
      }, receiver.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
