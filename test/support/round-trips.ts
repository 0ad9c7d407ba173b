import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { serverUrl } from './postgres';

/**
 * The benchmark's counting proxy (test/bench/pg-proxy.js) in front of the test server: the app
 * reaches PostgreSQL through `route(url)`, and every Sync and Query message it sends is counted
 * (and every Parse: a statement's text sent to be parsed).
 */
export class RoundTrips {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(): Promise<RoundTrips> {
    const target = new URL(serverUrl());
    const child = fork(join(__dirname, '..', 'bench', 'pg-proxy.js'), [
      target.hostname,
      target.port || '5432',
    ]);
    const port = await new Promise<number>((resolve) =>
      child.once('message', (m: { port: number }) => resolve(m.port)),
    );
    return new RoundTrips(child, port);
  }

  /** `url` with its host and port swapped for the proxy's. */
  route(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  private counts(): Promise<{ sync: number; query: number; parse: number }> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string; sync: number; query: number; parse: number }) => {
        if (m.type === 'counts') {
          this.child.off('message', onMessage);
          resolve(m);
        }
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'counts' });
    });
  }

  /** How many round trips `work` cost the app (and whatever else ran meanwhile). */
  async of(work: () => Promise<unknown>): Promise<number> {
    const before = await this.counts();
    await work();
    const after = await this.counts();
    return after.sync + after.query - (before.sync + before.query);
  }

  /** How many statement texts the app sent PostgreSQL to parse during `work`. */
  async parsesOf(work: () => Promise<unknown>): Promise<number> {
    const before = await this.counts();
    await work();
    return (await this.counts()).parse - before.parse;
  }

  stop(): void {
    this.child.kill();
  }
}
