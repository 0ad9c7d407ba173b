import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { configureHttp } from './http/configure-http';
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
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger,
    // Start-up failures reach the one-line report below instead of Nest's own exit.
    abortOnError: false,
  });
  configureHttp(app, config);
  installGracefulShutdown(app, config);
  await app.listen(config.port, config.host);
  logger.log(`serving ${config.publicUrl} on ${config.host}:${config.port}`, 'Marginalia');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `marginalia: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
