import {
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { hasBody, mediaTypeOf } from '../http/request-info';
import { ImportRun } from './import-runs';
import { ImportsService } from './imports.service';

export const IMPORT_MEDIA_TYPES = ['application/xml', 'text/xml', 'application/octet-stream'];

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin/imports')
export class AdminImportsController {
  constructor(private readonly imports: ImportsService) {}

  /** The export file is the raw request body; 202 with the run to follow at its Location. */
  @Post()
  @HttpCode(202)
  @ApiConsumes(...IMPORT_MEDIA_TYPES)
  @ApiQuery({ name: 'format', enum: ['wxr', 'disqus'] })
  @ApiQuery({ name: 'createArticles', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'fileName', required: false })
  async upload(
    @Query('format') format: unknown,
    @Query('createArticles') createArticles: unknown,
    @Query('fileName') fileName: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<ImportRun> {
    if (format !== 'wxr' && format !== 'disqus') {
      throw new BadRequestException('format must be wxr or disqus');
    }
    if (createArticles !== undefined && createArticles !== 'true' && createArticles !== 'false') {
      throw new BadRequestException('createArticles must be true or false');
    }
    const type = mediaTypeOf(req);
    if (!hasBody(req) || type === null || !IMPORT_MEDIA_TYPES.includes(type)) {
      throw new UnsupportedMediaTypeException('send the export file as application/xml');
    }
    const name =
      typeof fileName === 'string' && /^[\w .-]{1,200}$/.test(fileName)
        ? fileName
        : `upload.${format}.xml`;
    // No parser read this body (configureHttp leaves XML unread): the route streams it.
    const run = await this.imports.start(req.raw, {
      format,
      fileName: name,
      createArticles: createArticles === 'true',
    });
    res.header('Location', `/api/admin/imports/${run.id}`);
    return run;
  }

  @Get()
  async list(): Promise<{ items: ImportRun[]; nextCursor: null }> {
    return { items: await this.imports.list(), nextCursor: null };
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<ImportRun> {
    return this.imports.get(id);
  }
}
