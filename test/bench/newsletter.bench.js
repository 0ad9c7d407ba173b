'use strict';
/**
 * Newsletter delivery end to end: N confirmed subscribers, one issue queued through the admin
 * API, delivered by the app's dispatcher over SMTP into a local sink. Reports mails per second
 * from the POST to the last mail received, and the app's peak RSS; run with 2,000 and then
 * 10,000 subscribers on the same process to show whether memory grows with the list.
 *
 *   npm run build && node test/bench/newsletter.bench.js
 */
const { readFileSync } = require('node:fs');
const http = require('node:http');
const { SMTPServer } = require('smtp-server');
const { Client } = require('pg');
const bench = require('./lib');

const SIZES = (process.env.BENCH_NEWSLETTER_SIZES || '2000,10000').split(',').map(Number);
const GOAL_PER_SECOND = 500;

/** Counts messages and their Message-IDs; keeps nothing else. */
async function startSink() {
  const ids = new Map();
  let count = 0;
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    closeTimeout: 20,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (chunk) => {
        if (head.length < 4096) {
          head += chunk.toString('utf8');
        }
      });
      stream.on('end', () => {
        const match = /^Message-ID:\s*(<[^>]+>)/im.exec(head);
        const id = match ? match[1] : `missing-${count}`;
        ids.set(id, (ids.get(id) || 0) + 1);
        count += 1;
        callback();
      });
    },
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    count: () => count,
    duplicates: () => [...ids.values()].filter((n) => n > 1).length,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

/** CPU time the process has used, in ms (user + system; /proc ticks are 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function post(url, body, headers) {
  const json = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(json),
          ...headers,
        },
        timeout: 120_000,
      },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(data || 'null') }));
      },
    );
    req.on('error', reject);
    req.end(json);
  });
}

async function addConfirmedSubscribers(databaseUrl, from, to) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO subscriptions (id, kind, email, email_key, status, unsubscribe_token_hash,
         consent_at, consent_source, consent_text_version, confirmed_at)
       SELECT gen_random_uuid(), 'newsletter', 'reader-' || i || '@example.org',
              'reader-' || i || '@example.org', 'confirmed', md5('bench' || i) || md5(i::text),
              now(), 'bench', 'bench', now()
         FROM generate_series($1::int, $2::int) AS i`,
      [from, to - 1],
    );
  } finally {
    await client.end();
  }
}

async function run() {
  const db = await bench.createDatabase();
  const sink = await startSink();
  let app;
  const results = [];
  try {
    app = await bench.startApp({
      databaseUrl: db.url,
      env: { SMTP_URL: sink.url, MAIL_DISPATCHER: 'on', SEED: 'off' },
    });
    const pid = app.child.pid;
    let subscribers = 0;
    for (const size of SIZES) {
      await addConfirmedSubscribers(db.url, subscribers, size);
      subscribers = size;
      const before = sink.count();
      const idleRss = rssKb(pid);
      let peak = idleRss;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssKb(pid));
      }, 50);
      const cpuBefore = cpuMs(pid);
      const started = process.hrtime.bigint();
      const res = await post(
        `${app.url}/api/admin/newsletter/issues`,
        {
          subject: `Bench issue for ${size}`,
          body: '# This week\n\nA paragraph of **news** with a [link](https://example.org/).\n\n'.repeat(
            8,
          ),
        },
        app.admin,
      );
      const queuedMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (res.status !== 202 || res.body.recipients !== size) {
        throw new Error(`issue not queued as expected: ${JSON.stringify(res)}`);
      }
      while (sink.count() - before < size) {
        await bench.sleep(20);
      }
      const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
      clearInterval(sampler);
      const appCpuMs = cpuMs(pid) - cpuBefore;
      peak = Math.max(peak, rssKb(pid));
      results.push({
        subscribers: size,
        queuedMs,
        totalMs,
        perSecond: size / (totalMs / 1000),
        cpuPerMail: appCpuMs / size,
        idleRssMb: idleRss / 1024,
        peakRssMb: peak / 1024,
      });
      await bench.sleep(500);
    }
    const delivered = sink.count();
    const expected = SIZES[SIZES.length - 1] + SIZES.slice(0, -1).reduce((a, b) => a + b, 0);
    process.stdout.write(
      [
        '',
        'newsletter issue → outbox → dispatcher → SMTP sink (one app process, PostgreSQL)',
        'subscribers  queue ms  total ms    mails/s  app CPU ms/mail  idle RSS MB  peak RSS MB',
        '-----------  --------  --------  ---------  ---------------  -----------  -----------',
        ...results.map((r) =>
          [
            String(r.subscribers).padStart(11),
            r.queuedMs.toFixed(0).padStart(8),
            r.totalMs.toFixed(0).padStart(8),
            r.perSecond.toFixed(0).padStart(9),
            r.cpuPerMail.toFixed(2).padStart(15),
            r.idleRssMb.toFixed(1).padStart(11),
            r.peakRssMb.toFixed(1).padStart(11),
          ].join('  '),
        ),
        `delivered ${delivered} of ${expected} expected; duplicate Message-IDs: ${sink.duplicates()}`,
        `goal: ≥ ${GOAL_PER_SECOND} mails/s; the largest list ran at ${results[results.length - 1].perSecond.toFixed(0)}/s`,
        `machine load average while measuring: ${require('node:os').loadavg()[0].toFixed(1)} on ${require('node:os').cpus().length} cores`,
        '',
      ].join('\n'),
    );
  } finally {
    if (app) {
      await app.stop();
    }
    await sink.close();
    await db.drop();
  }
}

module.exports = run;
bench.runIfMain(module, run);
