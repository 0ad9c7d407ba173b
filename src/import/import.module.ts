import { Module } from '@nestjs/common';
import { AdminImportsController } from './admin-imports.controller';
import { ImportsService } from './imports.service';

/** WordPress (WXR) and Disqus imports: the admin upload endpoint; the CLI shares the importer. */
@Module({
  controllers: [AdminImportsController],
  providers: [ImportsService],
})
export class ImportModule {}
