import { Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { loadHashSecret } from './hash-secret';
import { migrate } from './migrator';

@Injectable()
class Migrations implements OnModuleInit {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await migrate(this.dataSource, this.config.database.kind === 'pglite');
    this.logger.log(
      applied.length ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date',
    );
    const secret = await loadHashSecret(this.dataSource, this.config);
    if (secret === 'generated') {
      this.logger.log('HASH_SECRET is not set: generated one and stored it in the database');
    }
  }
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.database),
        // Fail start-up after a few tries instead of nine 3-second retries.
        retryAttempts: 2,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [{ provide: Migrations, useClass: Migrations }],
})
export class DatabaseModule {}
