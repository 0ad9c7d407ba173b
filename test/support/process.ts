import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const REGISTER = join(__dirname, 'register-ts.cjs');

/** The node flags `npm start` runs the app with (package.json): main.ts is started as deployed. */
const START_FLAGS: readonly string[] = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .filter((arg) => arg.startsWith('--'));

export function startFlags(): string[] {
  return [...START_FLAGS];
}

/** The environment a spawned entry point sees: nothing of the test runner's own beyond PATH. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point (e.g. `src/cli/admin.ts`) to completion in a child process. */
export async function runTs(
  file: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<Finished> {
  const child = spawn(process.execPath, ['-r', REGISTER, join(ROOT, file), ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningMain {
  url: string;
  child: ChildProcess;
  /** Everything written to stdout so far (the JSON log lines). */
  stdout(): string;
  stderr(): string;
  /** Parsed JSON log lines written to stdout so far. */
  logs(): Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

/**
 * Starts `src/main.ts` (the real entry point: config, logger, graceful shutdown) in a child
 * process on a free port and waits until /api/health answers 200.
 */
export async function startMain(
  env: Record<string, string>,
  { waitHealthy = true, timeoutMs = 60_000 } = {},
): Promise<RunningMain> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [...startFlags(), '-r', REGISTER, join(ROOT, 'src', 'main.ts')],
    {
      cwd: ROOT,
      env: childEnv({
        PORT: String(port),
        HOST: '127.0.0.1',
        RATE_LIMIT: 'off',
        MAIL_DISPATCHER: 'off',
        MODERATION: 'none',
        SHUTDOWN_DELAY_MS: '0',
        ...env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let done = false;
  const exited = once(child, 'exit').then(([code, signal]) => {
    done = true;
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const running: RunningMain = {
    url,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    logs: () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
    kill: () => {
      if (!done) {
        child.kill('SIGKILL');
      }
    },
  };
  if (!waitHealthy) {
    return running;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done) {
      throw new Error(`main.ts exited before it was healthy:\n${stdout}\n${stderr}`);
    }
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) {
        return running;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      running.kill();
      throw new Error(`main.ts was not healthy within ${timeoutMs} ms:\n${stdout}\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
