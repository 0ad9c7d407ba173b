import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';

/**
 * A TCP proxy between the app and PostgreSQL that a test can break: `cut()` resets every open
 * connection and refuses new ones (a server restart or a crash), `freeze()` stops forwarding
 * while keeping sockets open (a half-open network), `restore()` heals it.
 */
export class TcpProxy {
  private mode: 'open' | 'cut' | 'frozen' = 'open';
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    server.on('connection', (client: Socket) => proxy.accept(client, targetHost, targetPort));
    return proxy;
  }

  /** `url` with its host and port replaced by this proxy's. */
  route(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  private accept(client: Socket, host: string, port: number): void {
    this.track(client);
    if (this.mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'frozen') {
      return;
    }
    const upstream = connect(port, host);
    this.track(upstream);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (this.mode === 'open') {
          to.write(chunk);
        }
      });
    forward(client, upstream);
    forward(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  cut(): void {
    this.mode = 'cut';
    for (const socket of this.sockets) {
      socket.resetAndDestroy();
    }
  }

  freeze(): void {
    this.mode = 'frozen';
  }

  restore(): void {
    this.mode = 'open';
    // Frozen sockets carry half-finished exchanges: drop them so the pool reconnects cleanly.
    for (const socket of this.sockets) {
      socket.destroy();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
