import 'reflect-metadata';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config';
import { logToStderrOnly } from './cli-logging';
import { dataSourceOptions } from '../database/data-source-options';
import { loadHashSecret } from '../database/hash-secret';
import { migrate } from '../database/migrator';
import { ImportReport } from '../import/import-report';
import { runImportFile } from '../import/import-runs';
import { MalformedExportError } from '../import/xml-records';

const USAGE = `usage:
  npm run import -- wxr FILE                        a WordPress / wpDiscuz export (WXR)
  npm run import -- disqus FILE [--create-articles] a Disqus export; unmatched threads become articles`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** One line, redrawn in place on a terminal; a line every 5 s into a file or pipe. */
function progressPrinter(): (
  read: number,
  total: number,
  report: ImportReport,
  final?: boolean,
) => void {
  const started = Date.now();
  let last = 0;
  const tty = process.stderr.isTTY === true;
  return (read, total, report, final = false) => {
    const now = Date.now();
    if (!final && now - last < (tty ? 200 : 5_000)) {
      return;
    }
    last = now;
    const seconds = Math.max(0.001, (now - started) / 1000);
    const ratio = total > 0 ? Math.min(1, read / total) : 0;
    const width = 28;
    const filled = Math.round(ratio * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const rate = Math.round(report.comments.imported / seconds);
    const line =
      `${bar} ${(ratio * 100).toFixed(1).padStart(5)}% ${mb(read)}/${mb(total)} MB ` +
      `articles +${report.articles.created} comments +${report.comments.imported} ` +
      `(${report.comments.alreadyImported} already there) ${rate}/s`;
    process.stderr.write(tty ? `\r${line}${final ? '\n' : ''}` : `${line}\n`);
  };
}

async function main(argv: string[]): Promise<void> {
  logToStderrOnly();
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'create-articles': { type: 'boolean' } },
  });
  const [format, file] = positionals;
  if ((format !== 'wxr' && format !== 'disqus') || !file) {
    fail(USAGE);
  }
  const config = loadConfig(process.env);
  const dataSource = await new DataSource(dataSourceOptions(config.database)).initialize();
  const print = progressPrinter();
  const started = Date.now();
  try {
    await migrate(dataSource, config.database.kind === 'pglite');
    // Hash addresses and IPs exactly as the app does (HASH_SECRET, or the one it generated).
    await loadHashSecret(dataSource, config);
    const run = await runImportFile(dataSource, config.hashSecret, {
      format,
      path: file,
      fileName: basename(file),
      createArticles: values['create-articles'] === true,
      onProgress: (read, total, report) => print(read, total, report),
    });
    print(run.bytesRead, run.bytesTotal ?? run.bytesRead, run.report, true);
    const seconds = (Date.now() - started) / 1000;
    const { articles, comments, skipped, notes, unmatchedThreads } = run.report;
    const lines = [
      `import ${run.id}: done in ${seconds.toFixed(1)} s`,
      `articles: ${articles.created} created, ${articles.matched} matched to existing ones`,
      `comments: ${comments.imported} imported (${Math.round(comments.imported / seconds)}/s), ${comments.alreadyImported} already imported`,
      ...Object.entries(skipped).map(([why, n]) => `skipped: ${n} × ${why}`),
      ...Object.entries(notes).map(([why, n]) => `note: ${n} × ${why}`),
      ...unmatchedThreads.map((t) => `unmatched thread ${t.id}: ${t.link} (${t.title})`),
      `peak RSS: ${mb(process.resourceUsage().maxRSS * 1024)} MB`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    fail(`marginalia: configuration error: ${error.message}`, 78);
  }
  if (
    error instanceof MalformedExportError ||
    (error as NodeJS.ErrnoException)?.code === 'ENOENT'
  ) {
    fail(`import failed: ${(error as Error).message}`, 1);
  }
  process.stderr.write(`import failed: ${String(error)}\n`);
  process.exit(1);
});
