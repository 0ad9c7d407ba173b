import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import { emptyReport, ImportReport } from './import-report';
import { ImportFormat, Importer } from './importer';

export interface ImportRun {
  id: string;
  format: ImportFormat;
  fileName: string;
  status: 'running' | 'done' | 'failed';
  bytesTotal: number | null;
  bytesRead: number;
  /** 0–100, from the bytes read. */
  percent: number | null;
  report: ImportReport;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

interface RunRow {
  id: string;
  format: ImportFormat;
  file_name: string;
  status: ImportRun['status'];
  bytes_total: string | null;
  bytes_read: string;
  report: ImportReport;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

const PROGRESS_EVERY_MS = 1_000;

export function toImportRun(row: RunRow): ImportRun {
  const total = row.bytes_total === null ? null : Number(row.bytes_total);
  const read = Number(row.bytes_read);
  return {
    id: row.id,
    format: row.format,
    fileName: row.file_name,
    status: row.status,
    bytesTotal: total,
    bytesRead: read,
    percent: total ? Math.min(100, Math.floor((read / total) * 100)) : null,
    report: { ...emptyReport(), ...row.report },
    error: row.error,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

/**
 * One import of one file, recorded in import_runs from start to end with its progress and
 * report, so the admin endpoint (and anyone else) can follow it. Used by the CLI and the app.
 */
export async function runImportFile(
  dataSource: DataSource,
  hashSecret: string,
  job: {
    format: ImportFormat;
    path: string;
    fileName: string;
    createArticles?: boolean;
    runId?: string;
    onProgress?: (bytesRead: number, bytesTotal: number, report: ImportReport) => void;
  },
): Promise<ImportRun> {
  const { size } = await stat(job.path);
  const runId = job.runId ?? (await createRun(dataSource, job.format, job.fileName, size));
  let lastWrite = 0;
  const importer = new Importer(dataSource, hashSecret, {
    createArticles: job.createArticles,
    runId,
    onProgress: async (bytesRead, report) => {
      job.onProgress?.(bytesRead, size, report);
      if (Date.now() - lastWrite >= PROGRESS_EVERY_MS) {
        lastWrite = Date.now();
        await dataSource.query(
          `UPDATE import_runs SET bytes_read = $2, report = $3, updated_at = now() WHERE id = $1`,
          [runId, bytesRead, JSON.stringify(report)],
        );
      }
    },
  });
  try {
    const report = await importer.run(
      job.format,
      createReadStream(job.path, { highWaterMark: 256 * 1024 }),
    );
    await dataSource.query(
      `UPDATE import_runs SET status = 'done', bytes_read = $2, report = $3, finished_at = now(),
         updated_at = now() WHERE id = $1`,
      [runId, importer.bytesRead, JSON.stringify(report)],
    );
  } catch (error) {
    await dataSource.query(
      `UPDATE import_runs SET status = 'failed', bytes_read = $2, report = $3, error = $4,
         finished_at = now(), updated_at = now() WHERE id = $1`,
      [runId, importer.bytesRead, JSON.stringify(importer.report), errorText(error)],
    );
    throw error;
  }
  return (await findRun(dataSource, runId))!;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}

export async function createRun(
  dataSource: DataSource,
  format: ImportFormat,
  fileName: string,
  bytesTotal: number | null,
): Promise<string> {
  const rows: { id: string }[] = await dataSource.query(
    'INSERT INTO import_runs (format, file_name, bytes_total) VALUES ($1, $2, $3) RETURNING id',
    [format, fileName.slice(0, 255), bytesTotal],
  );
  return rows[0].id;
}

export async function failRun(dataSource: DataSource, id: string, error: unknown): Promise<void> {
  await dataSource.query(
    `UPDATE import_runs SET status = 'failed', error = $2, finished_at = now(), updated_at = now()
      WHERE id = $1 AND status = 'running'`,
    [id, errorText(error)],
  );
}

export async function findRun(dataSource: DataSource, id: string): Promise<ImportRun | null> {
  const rows: RunRow[] = await dataSource.query('SELECT * FROM import_runs WHERE id = $1', [id]);
  return rows[0] ? toImportRun(rows[0]) : null;
}
