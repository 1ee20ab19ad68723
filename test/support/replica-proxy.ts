import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer in front of several replicas, for tests: each request goes to the replica
 * named by its `x-replica` header (the test decides who serves which step), else round-robin.
 */
export async function startReplicaProxy(port: number, replicas: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const names = Object.keys(replicas);
  let next = 0;
  const server: Server = createServer((req, res) => {
    const asked = req.headers['x-replica'];
    const name = typeof asked === 'string' && replicas[asked] ? asked : names[next++ % names.length]!;
    const target = new URL(replicas[name]!);
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
