import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** Why the cluster test cannot run here; reported as "skipped", never as a failure. */
export class Unavailable extends Error {}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], timeoutMs = 120_000): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

function which(name: string): string | null {
  const r = run('sh', ['-c', `command -v ${name}`]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Finds HAProxy and PgBouncer, installing Debian's packages when missing and allowed. */
export function ensureTools(): { haproxy: string; pgbouncer: string } {
  const find = () => ({ haproxy: which('haproxy'), pgbouncer: which('pgbouncer') });
  let tools = find();
  if (!tools.haproxy || !tools.pgbouncer) {
    if (process.getuid?.() !== 0 || !which('apt-get')) {
      throw new Unavailable('haproxy and pgbouncer are not installed (needs root and apt-get)');
    }
    const install = () =>
      run('apt-get', ['install', '-y', '-qq', 'haproxy', 'pgbouncer'], 300_000).code === 0;
    if (!install()) {
      run('apt-get', ['update', '-qq'], 300_000);
      install();
    }
    tools = find();
  }
  if (!tools.haproxy || !tools.pgbouncer) {
    throw new Unavailable('haproxy and pgbouncer could not be installed with apt-get');
  }
  return { haproxy: tools.haproxy, pgbouncer: tools.pgbouncer };
}

export async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // A reset while idle (PgBouncer restarted under it) is not the caller's error: queries report theirs.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const HBA_LINE = 'host replication all 127.0.0.1/32 trust # marginalia cluster test';

/**
 * What the primary (the shared server at 5432) must allow for a streaming replica: a WAL level
 * of replica or more and a free WAL sender (both need a restart to change, so they are only
 * checked), and a replication line in pg_hba.conf (added once, applied by a reload, which
 * disturbs no session).
 */
export async function preparePrimary(
  url: string,
): Promise<{ major: number; settings: Record<string, string>; restore(): Promise<void> }> {
  const rows = await query<{ name: string; setting: string }>(
    url,
    `SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'max_wal_senders',
       'hba_file', 'server_version_num', 'max_connections', 'max_worker_processes',
       'max_prepared_transactions', 'max_locks_per_transaction', 'max_wal_senders')`,
  );
  const settings = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  if (!['replica', 'logical'].includes(settings.wal_level)) {
    throw new Unavailable(
      `the primary runs wal_level=${settings.wal_level}; a replica needs "replica" (a restart)`,
    );
  }
  if (Number(settings.max_wal_senders) < 2) {
    throw new Unavailable('the primary allows no WAL senders (max_wal_senders)');
  }
  const rules = await query<{ n: number }>(
    url,
    `SELECT count(*)::int AS n FROM pg_hba_file_rules
     WHERE 'replication' = ANY(database) AND type = 'host' AND auth_method = 'trust'
       AND (address = '127.0.0.1' OR address IS NULL OR address = 'all')`,
  );
  let added = false;
  if (rules[0].n === 0) {
    let hba: string;
    try {
      hba = readFileSync(settings.hba_file, 'utf8');
      if (!hba.includes(HBA_LINE)) {
        writeFileSync(settings.hba_file, `${hba.replace(/\n?$/, '\n')}${HBA_LINE}\n`);
        added = true;
      }
    } catch (error) {
      throw new Unavailable(
        `cannot allow replication connections in ${settings.hba_file}: ${String(error)}`,
      );
    }
    await query(url, 'SELECT pg_reload_conf()');
    await new Promise((r) => setTimeout(r, 300));
  }
  // The line is the test's only: it goes again when the test ends (existing sessions keep going).
  const restore = async () => {
    if (!added) {
      return;
    }
    const hba = readFileSync(settings.hba_file, 'utf8');
    writeFileSync(settings.hba_file, hba.replace(`${HBA_LINE}\n`, ''));
    await query(url, 'SELECT pg_reload_conf()');
  };
  return { major: Math.floor(Number(settings.server_version_num) / 10000), settings, restore };
}

export const REPLICA_CLUSTER = 'mgcluster_replica';

/**
 * A streaming replica of the primary on `port`: a Debian cluster (pg_createcluster) whose data
 * directory is replaced by pg_basebackup's copy. Rebuilt on every run; dropped by `stop`.
 */
export async function startReplica(
  primaryUrl: string,
  major: number,
  port: number,
  primary: Record<string, string>,
): Promise<{ stop(): Promise<void>; url(db: string): string }> {
  if (!which('pg_createcluster') || !which('pg_basebackup')) {
    throw new Unavailable('pg_createcluster / pg_basebackup are not installed');
  }
  // The replica streams through a slot, so the busy shared primary keeps the WAL it has not
  // fetched yet; the slot must never outlive the test (WAL would pile up), so every exit drops it.
  const drop = async () => {
    dropReplica(major);
    await dropSlot(primaryUrl);
  };
  await drop();
  // A standby needs these at least as high as its primary's.
  const options = [
    'max_connections',
    'max_worker_processes',
    'max_prepared_transactions',
    'max_locks_per_transaction',
    'max_wal_senders',
  ].flatMap((name) => ['-o', `${name}=${primary[name]}`]);
  // A throw-away standby: no fsync (start-up would otherwise sync the whole copy first).
  options.push('-o', 'fsync=off');
  const created = run('pg_createcluster', [
    String(major),
    REPLICA_CLUSTER,
    '-p',
    String(port),
    ...options,
  ]);
  if (created.code !== 0) {
    throw new Unavailable(`pg_createcluster failed: ${created.stderr.trim()}`);
  }
  const dataDir = `/var/lib/postgresql/${major}/${REPLICA_CLUSTER}`;
  // Other test runs on the shared server may terminate connections now and then: try again.
  let backup: Run = { code: null, stdout: '', stderr: '' };
  for (let attempt = 0; attempt < 3 && backup.code !== 0; attempt++) {
    await dropSlot(primaryUrl);
    run('sh', ['-c', `rm -rf ${dataDir}/*`]);
    backup = run(
      'runuser',
      ['-u', 'postgres', '--', 'pg_basebackup', '-h', '127.0.0.1', '-p', '5432', '-U', 'postgres']
        .concat(['-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'])
        .concat(['-C', '-S', REPLICA_CLUSTER]),
      300_000,
    );
  }
  if (backup.code !== 0) {
    await drop();
    throw new Unavailable(`pg_basebackup failed: ${backup.stderr.trim()}`);
  }
  // Trust on loopback like the primary (pg_createcluster's default asks for passwords).
  writeFileSync(
    `/etc/postgresql/${major}/${REPLICA_CLUSTER}/pg_hba.conf`,
    'local all all trust\nhost all all 127.0.0.1/32 trust\n',
  );
  const started = run('pg_ctlcluster', [String(major), REPLICA_CLUSTER, 'start']);
  if (started.code !== 0) {
    await drop();
    throw new Unavailable(`the replica did not start: ${started.stderr.trim()}`);
  }
  const url = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const [row] = await query<{ r: boolean }>(url('postgres'), 'SELECT pg_is_in_recovery() AS r');
      if (row.r) {
        break;
      }
      throw new Error('not in recovery');
    } catch (error) {
      if (Date.now() > deadline) {
        await drop();
        throw new Unavailable(`the replica did not come up streaming: ${String(error)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { stop: drop, url };
}

async function dropSlot(primaryUrl: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const [slot] = await query<{ active: boolean }>(
      primaryUrl,
      'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
      [REPLICA_CLUSTER],
    );
    if (!slot) {
      return;
    }
    if (!slot.active) {
      await query(primaryUrl, 'SELECT pg_drop_replication_slot($1)', [REPLICA_CLUSTER]);
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function dropReplica(major: number): void {
  if (
    run('pg_lsclusters', ['-h'])
      .stdout.split('\n')
      .some((l) => l.split(/\s+/)[1] === REPLICA_CLUSTER)
  ) {
    run('pg_dropcluster', ['--stop', String(major), REPLICA_CLUSTER]);
  }
}

/** A work directory the postgres user (PgBouncer runs as it) can read and write. */
export function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mgcluster-'));
  chmodSync(dir, 0o755);
  const uid = Number(run('id', ['-u', 'postgres']).stdout.trim());
  const gid = Number(run('id', ['-g', 'postgres']).stdout.trim());
  if (Number.isInteger(uid) && process.getuid?.() === 0) {
    chownSync(dir, uid, gid);
  }
  return dir;
}

export class PgBouncer {
  private child: ChildProcess | null = null;
  readonly ini: string;

  constructor(
    private readonly binary: string,
    readonly dir: string,
    readonly port: number,
    databases: Record<string, string>,
  ) {
    this.ini = join(dir, 'pgbouncer.ini');
    writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n');
    writeFileSync(
      this.ini,
      [
        '[databases]',
        ...Object.entries(databases).map(([name, conn]) => `${name} = ${conn}`),
        '',
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        'admin_users = postgres',
        'pool_mode = transaction',
        // Few server connections: the primary here is shared (max_connections 100).
        'default_pool_size = 8',
        'max_client_conn = 1000',
        // node-postgres sends these two at connect; 1.18 cannot track them (connect_query sets them).
        'ignore_startup_parameters = statement_timeout, idle_in_transaction_session_timeout',
        'server_reset_query =',
        `logfile = ${join(dir, 'pgbouncer.log')}`,
        `pidfile = ${join(dir, 'pgbouncer.pid')}`,
        '',
      ].join('\n'),
    );
  }

  url(db: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${db}`;
  }

  async start(): Promise<void> {
    const args = process.getuid?.() === 0 ? ['-u', 'postgres', this.ini] : [this.ini];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await query(this.url('pgbouncer'), 'SHOW VERSION');
        return;
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`pgbouncer did not start: ${String(error)}`, { cause: error });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await once(child, 'exit');
      clearTimeout(timer);
    }
  }

  /** The admin console's SHOW <what> as rows. */
  async show(what: 'STATS' | 'POOLS'): Promise<Record<string, string>[]> {
    const client = new Client({ connectionString: this.url('pgbouncer') });
    client.on('error', () => undefined);
    await client.connect();
    try {
      // Without parameters node-postgres uses the simple protocol, the only one the console speaks.
      return (await client.query<Record<string, string>>(`SHOW ${what}`)).rows;
    } finally {
      await client.end();
    }
  }
}

export class Haproxy {
  private child: ChildProcess | null = null;
  readonly cfg: string;

  constructor(
    private readonly binary: string,
    dir: string,
    readonly port: number,
    backends: number[],
  ) {
    this.cfg = join(dir, 'haproxy.cfg');
    const unavailable = join(dir, '503.http');
    writeFileSync(
      unavailable,
      'HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\n' +
        'Content-Type: application/json\r\nRetry-After: 1\r\n\r\n' +
        '{"statusCode":503,"error":"Service Unavailable","message":"try again shortly"}\n',
    );
    writeFileSync(
      this.cfg,
      [
        'global',
        '  maxconn 4000',
        'defaults',
        '  mode http',
        '  timeout connect 1s',
        '  timeout client 30s',
        '  timeout server 30s',
        '  option forwardfor',
        '  option redispatch',
        '  retries 3',
        '  retry-on conn-failure empty-response response-timeout',
        `  errorfile 502 ${unavailable}`,
        `  errorfile 504 ${unavailable}`,
        'frontend web',
        `  bind 127.0.0.1:${port}`,
        '  default_backend app',
        'backend app',
        '  balance roundrobin',
        // A write whose instance vanished mid-request is never replayed elsewhere: it answers 503.
        '  http-request disable-l7-retry unless METH_GET',
        '  option httpchk GET /api/health',
        '  http-check expect status 200',
        '  default-server inter 300 fall 2 rise 2',
        ...backends.map((p, i) => `  server app${i + 1} 127.0.0.1:${p} check`),
        '',
      ].join('\n'),
    );
  }

  async start(): Promise<void> {
    const check = run(this.binary, ['-c', '-f', this.cfg]);
    if (check.code !== 0) {
      throw new Error(`haproxy rejects its configuration: ${check.stderr}${check.stdout}`);
    }
    this.child = spawn(this.binary, ['-db', '-f', this.cfg], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    await new Promise((r) => setTimeout(r, 300));
    if (this.child.exitCode !== null) {
      throw new Error('haproxy exited at start');
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}
