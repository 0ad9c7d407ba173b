'use strict';
/**
 * A counting TCP proxy in front of PostgreSQL, run as a child process of the benchmark (so its
 * work competes with neither the load generator nor the servers measured). It forwards bytes
 * untouched and counts the frontend's round-trip messages: Sync ('S', the end of an extended-
 * protocol exchange: one parameterised query) and Query ('Q', one simple-protocol statement such
 * as BEGIN or COMMIT); and Parse ('P': a statement's text sent to be parsed, which a prepared
 * statement sends once per connection). Started with `fork(pg-proxy.js, [host, port])`; it sends
 * {port} once listening and answers {type: 'counts'} with {sync, query, parse}. More listeners,
 * each counting apart (one per server measured, so one app's round trips are not mixed with
 * another's background work): {type: 'listen', tag} is answered with {type: 'listening', tag,
 * port}, and {type: 'counts', tag} with that listener's {sync, query, parse}.
 */
const net = require('node:net');

const [host, port] = [process.argv[2] || '127.0.0.1', Number(process.argv[3] || 5432)];
/** Round-trip messages by listener tag ('' is the first listener). */
const countsByTag = new Map();

/** Walks the frontend's message framing across chunks: untyped start-up, then typed messages. */
function frontendCounter(counts) {
  let startup = true;
  let header = Buffer.alloc(0);
  let skip = 0;
  return (chunk) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - offset);
        skip -= n;
        offset += n;
        continue;
      }
      const need = startup ? 8 : 5;
      const take = Math.min(need - header.length, chunk.length - offset);
      header = Buffer.concat([header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (header.length < need) {
        return;
      }
      if (startup) {
        const length = header.readInt32BE(0);
        const code = header.readInt32BE(4);
        // SSLRequest and GSSENCRequest are followed by another untyped start-up message.
        startup = code === 80877103 || code === 80877104;
        skip = length - 8;
      } else {
        const type = String.fromCharCode(header[0]);
        if (type === 'S') {
          counts.sync += 1;
        } else if (type === 'Q') {
          counts.query += 1;
        } else if (type === 'P') {
          counts.parse += 1;
        }
        skip = header.readInt32BE(1) - 4;
      }
      header = Buffer.alloc(0);
    }
  };
}

function listen(tag, then) {
  const counts = { sync: 0, query: 0, parse: 0 };
  countsByTag.set(tag, counts);
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    const count = frontendCounter(counts);
    client.on('data', (chunk) => {
      count(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1', () => then(server.address().port));
}

listen('', (listening) => process.send({ port: listening }));
process.on('message', (message) => {
  if (message && message.type === 'counts') {
    const counts = countsByTag.get(message.tag ?? '') ?? { sync: 0, query: 0, parse: 0 };
    process.send({ type: 'counts', tag: message.tag ?? '', ...counts });
  } else if (message && message.type === 'listen') {
    listen(message.tag, (listening) =>
      process.send({ type: 'listening', tag: message.tag, port: listening }),
    );
  }
});
process.on('disconnect', () => process.exit(0));
