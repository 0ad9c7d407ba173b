'use strict';
/**
 * Preloaded into one app of the floor bench (`node --require`, LOG_LEVEL=info), around the app's
 * own AccessLog (dist/src/http/access-log.js):
 *
 * - it times the log's code as it runs: `start` (each request), `append` (each line, with the
 *   batch written when it fills) and `flush` (the batch written by its timer), each between two
 *   performance.now() readings. On SIGUSR2 it writes to ACCESS_LOG_PROBE_FILE how many times it
 *   was asked, the total (ns) and the lines appended so far. The readings' own cost (four per
 *   request) is counted as the log's, so the figure errs high; the 'close' listener's own clock
 *   read and call to `append` are not timed.
 * - it skips every request whose URL ends in `?unlogged`, doing for it what a disabled log does
 *   (nothing): the same process then answers the same route logged and unlogged.
 *
 * Req/s and CPU per request of two processes, or of one process a few seconds apart, move by
 * ±10% on a shared host, more than the log costs; time spent inside the log's own code does not.
 */
const { writeFileSync } = require('node:fs');
const path = require('node:path');

// Preloaded modules run after node has set argv: argv[1] is the app's dist/src/main.js.
const { AccessLog } = require(path.join(path.dirname(process.argv[1]), 'http', 'access-log.js'));

const out = process.env.ACCESS_LOG_PROBE_FILE;
let spentMs = 0;
let lines = 0;
let appending = false;

const { start, append, flush } = AccessLog.prototype;
Object.assign(AccessLog.prototype, {
  start(request, reply, requestId, urlPath) {
    if (request.url.endsWith('?unlogged')) {
      return;
    }
    const t0 = performance.now();
    start.call(this, request, reply, requestId, urlPath);
    spentMs += performance.now() - t0;
  },
  append(...args) {
    const t0 = performance.now();
    appending = true;
    append.apply(this, args);
    appending = false;
    lines += 1;
    spentMs += performance.now() - t0;
  },
  flush() {
    if (appending) {
      // Timed as part of the append that filled the batch.
      flush.call(this);
      return;
    }
    const t0 = performance.now();
    flush.call(this);
    spentMs += performance.now() - t0;
  },
});

let asked = 0;
process.on('SIGUSR2', () => {
  asked += 1;
  if (out) {
    writeFileSync(out, `${asked} ${Math.round(spentMs * 1e6)} ${lines}\n`);
  }
});
