import { Injectable } from '@nestjs/common';

/** Process-wide readiness: flipped once shutdown begins so load balancers stop sending traffic. */
@Injectable()
export class LifecycleService {
  private draining = false;

  get shuttingDown(): boolean {
    return this.draining;
  }

  beginShutdown(): void {
    this.draining = true;
  }
}
