import { once } from 'node:events';
import { BadRequestException, Controller, Get, Logger, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { takeOver } from '../http/request-info';
import { ExportService } from './export.service';

const TYPES = {
  wxr: 'application/rss+xml; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
} as const;

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin/export')
export class AdminExportController {
  private readonly logger = new Logger('Export');

  constructor(private readonly exports: ExportService) {}

  /** Streams; a failure after the first byte can only cut the download short (never a 200 lie). */
  @Get()
  @ApiQuery({ name: 'format', enum: ['wxr', 'jsonl'] })
  @ApiProduces(TYPES.wxr, TYPES.jsonl)
  async export(@Query('format') format: unknown, @Res() reply: FastifyReply): Promise<void> {
    if (format !== 'wxr' && format !== 'jsonl') {
      throw new BadRequestException('format must be wxr or jsonl');
    }
    const chunks = this.exports.chunks(format);
    // The first chunk is read before the headers go out, so a database failure is still a 503.
    let next = await chunks.next();
    const stamp = new Date().toISOString().slice(0, 10);
    // Written to the socket as it is read, with the socket's back-pressure: Fastify steps aside.
    const res = takeOver(reply);
    res.statusCode = 200;
    res.setHeader('Content-Type', TYPES[format]);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="marginalia-${stamp}.${format === 'wxr' ? 'wxr.xml' : 'jsonl'}"`,
    );
    try {
      while (!next.done) {
        if (res.destroyed) {
          await chunks.return(undefined);
          return;
        }
        if (!res.write(next.value)) {
          await Promise.race([once(res, 'drain'), once(res, 'close')]);
        }
        next = await chunks.next();
      }
      res.end();
    } catch (error) {
      this.logger.error(`export cut short: ${String(error)}`);
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
