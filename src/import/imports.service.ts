import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleDestroy,
  PayloadTooLargeException,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { createRun, failRun, findRun, ImportRun, runImportFile, toImportRun } from './import-runs';
import { ImportFormat } from './importer';

/**
 * Uploaded exports: the body is streamed to a temporary file (never held in memory), then
 * imported in the background while the run's row reports progress.
 */
@Injectable()
export class ImportsService implements OnModuleDestroy {
  private readonly logger = new Logger('Imports');
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async start(
    body: Readable,
    job: { format: ImportFormat; fileName: string; createArticles: boolean },
  ): Promise<ImportRun> {
    const dir = join(tmpdir(), 'marginalia-imports');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${randomUUID()}.xml`);
    const limit = this.config.imports.maxBytes;
    let seen = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length;
        done(
          seen > limit
            ? new PayloadTooLargeException(`an import may be at most ${limit} bytes`)
            : null,
          chunk,
        );
      },
    });
    try {
      await pipeline(body, cap, createWriteStream(path));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    const { size } = await stat(path);
    const runId = await createRun(this.dataSource, job.format, job.fileName, size);
    const work = runImportFile(this.dataSource, this.config.hashSecret, { ...job, path, runId })
      .then(
        (run) => this.logger.log(`import ${run.id} done: ${run.report.comments.imported} comments`),
        async (error: unknown) => {
          this.logger.warn(`import ${runId} failed: ${String(error)}`);
          await failRun(this.dataSource, runId, error).catch(() => undefined);
        },
      )
      .finally(() => rm(path, { force: true }));
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
    return (await findRun(this.dataSource, runId))!;
  }

  async get(id: string): Promise<ImportRun> {
    const run = /^[0-9a-f-]{36}$/i.test(id) ? await findRun(this.dataSource, id) : null;
    if (!run) {
      throw new NotFoundException('import not found');
    }
    return run;
  }

  async list(): Promise<ImportRun[]> {
    const rows: Parameters<typeof toImportRun>[0][] = await this.dataSource.query(
      'SELECT * FROM import_runs ORDER BY started_at DESC, id DESC LIMIT 50',
    );
    return rows.map(toImportRun);
  }

  /** Shutdown does not wait for an import to finish: a rerun of the same file resumes it. */
  async onModuleDestroy(): Promise<void> {
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => setTimeout(resolve, 100).unref()),
    ]);
  }
}
