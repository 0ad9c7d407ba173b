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
import { Request, Response } from 'express';
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
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportRun> {
    if (format !== 'wxr' && format !== 'disqus') {
      throw new BadRequestException('format must be wxr or disqus');
    }
    if (createArticles !== undefined && createArticles !== 'true' && createArticles !== 'false') {
      throw new BadRequestException('createArticles must be true or false');
    }
    if (!req.is(IMPORT_MEDIA_TYPES)) {
      throw new UnsupportedMediaTypeException('send the export file as application/xml');
    }
    const name =
      typeof fileName === 'string' && /^[\w .-]{1,200}$/.test(fileName)
        ? fileName
        : `upload.${format}.xml`;
    const run = await this.imports.start(req, {
      format,
      fileName: name,
      createArticles: createArticles === 'true',
    });
    res.setHeader('Location', `/api/admin/imports/${run.id}`);
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
