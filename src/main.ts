import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { AdminBootstrap } from './auth/admin-bootstrap';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { configureHttp, createHttpAdapter } from './http/configure-http';
import { installGracefulShutdown } from './http/graceful-shutdown';

const LOG_LEVELS = {
  debug: ['error', 'warn', 'log', 'debug'],
  info: ['error', 'warn', 'log'],
  warn: ['error', 'warn'],
  error: ['error'],
} as const;

function configOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`marginalia: configuration error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

async function bootstrap(): Promise<void> {
  const config = configOrExit();
  const logger = new ConsoleLogger({ json: true, logLevels: [...LOG_LEVELS[config.logLevel]] });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createHttpAdapter(config),
    {
      bodyParser: false,
      logger,
      // Start-up failures reach the one-line report below instead of Nest's own exit.
      abortOnError: false,
    },
  );
  await configureHttp(app, config);
  installGracefulShutdown(app, config);
  await app.listen(config.port, config.host);
  logger.log(`serving ${config.publicUrl} on ${config.host}:${config.port}`, 'Marginalia');
  const token = app.get(AdminBootstrap).createdToken;
  if (token) {
    process.stdout.write(firstStartNote(config, token));
  }
}

/**
 * After the logs of the very first start (the one that created the bootstrap token), one plain
 * block a newcomer can read: where to look, where mail goes, and the admin token.
 */
export function firstStartNote(config: AppConfig, token: string): string {
  const mail = config.smtpUrl
    ? `sent through SMTP at ${new URL(config.smtpUrl).host}`
    : `written as .eml files to ${config.dataDir}/mail/`;
  return [
    '',
    'Marginalia is running.',
    `  Open:        ${config.publicUrl}/`,
    `  Mail:        ${mail}`,
    `  Admin token: ${token}`,
    '               (shown only this once; send it as "Authorization: Bearer <token>")',
    '',
    '',
  ].join('\n');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `marginalia: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
