import { Module } from '@nestjs/common';
import { AdminExportController } from './admin-export.controller';
import { ExportRepository } from './export.repository';
import { ExportService } from './export.service';

/** Leaving: every article and comment as WXR (WordPress's importer) or JSON lines. */
@Module({
  controllers: [AdminExportController],
  providers: [ExportRepository, ExportService],
})
export class ExportModule {}
