import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { LifecycleService } from './lifecycle.service';

const PING_TIMEOUT_MS = 1000;

/** A health answer is about this instant and this instance: no cache may keep or replay it. */
const NOT_STORED = 'no-store';

@ApiTags('operations')
@Controller('api/health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly lifecycle: LifecycleService,
  ) {}

  @Get()
  @Header('Cache-Control', NOT_STORED)
  async health(@Res({ passthrough: true }) res: FastifyReply) {
    if (this.lifecycle.shuttingDown) {
      res.status(503);
      return { status: 'shutting-down', db: 'unknown' };
    }
    const up = await this.ping();
    res.status(up ? 200 : 503);
    return { status: up ? 'ok' : 'unavailable', db: up ? 'up' : 'down' };
  }

  /**
   * Liveness: the process answers, whatever the database does (a restart decision should not
   * hinge on PostgreSQL). Also the framework's floor in `npm run bench`: a route doing nothing.
   */
  @Get('live')
  @Header('Cache-Control', NOT_STORED)
  live(@Res({ passthrough: true }) res: FastifyReply) {
    if (this.lifecycle.shuttingDown) {
      res.status(503);
      return { status: 'shutting-down' };
    }
    return { status: 'ok' };
  }

  private async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
    });
    try {
      return await Promise.race([
        this.dataSource.query('SELECT 1').then(
          () => true,
          () => false,
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
