import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  ms: number;
}

const agents = new Map<string, Agent>();

/**
 * One HTTP exchange from a chosen loopback source address (127.a.b.1): every simulated reader
 * is a network of its own, so per-IP limits count them apart as they would on the internet.
 * A transport error is status 0.
 */
export function http(
  method: string,
  url: string,
  options: {
    body?: unknown;
    from?: string;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<Reply> {
  const from = options.from ?? '127.0.0.1';
  let agent = agents.get(from);
  if (!agent) {
    // No idle connection kept per address: the readers are thousands of networks, most of them
    // sending one request, and their idle keep-alive connections once filled HAProxy's maxconn
    // (4,000), which then left every new reader waiting in the accept queue for seconds.
    agent = new Agent({ keepAlive: false, maxSockets: 4, localAddress: from });
    agents.set(from, agent);
  }
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
          ...options.headers,
        },
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // a page or an empty answer
          }
          resolve({
            status: res.statusCode ?? 0,
            body,
            headers: res.headers,
            ms: Date.now() - started,
          });
        });
        res.on('error', () =>
          resolve({ status: 0, body: null, headers: {}, ms: Date.now() - started }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) =>
      resolve({ status: 0, body: String(error), headers: {}, ms: Date.now() - started }),
    );
    req.end(payload);
  });
}

export function closeAgents(): void {
  for (const agent of agents.values()) {
    agent.destroy();
  }
  agents.clear();
}

let network = 0;

/** A fresh loopback address in a /24 of its own. */
export function nextAddress(): string {
  network += 1;
  return `127.${1 + (Math.floor(network / 250) % 250)}.${network % 250}.1`;
}
