import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AdminTokensService } from './admin-tokens.service';

/**
 * With no ADMIN_TOKEN and no token yet, creates one named "bootstrap" and prints it once. The live
 * name is unique, so when two instances start together only the one that inserted prints.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminAuth');
  /** The token this start created, for main.ts's closing start-up note; null on later starts. */
  createdToken: string | null = null;

  constructor(
    private readonly tokens: AdminTokensService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.adminToken || (await this.tokens.hasLiveToken())) {
      return;
    }
    const token = await this.tokens.create('bootstrap', 'admin');
    if (token) {
      this.createdToken = token;
      this.logger.warn(
        `created the bootstrap admin token (shown only this once; store it now): ${token}`,
      );
    }
  }
}
