import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Request } from 'express';
import { Observable, finalize } from 'rxjs';
import { APP_CONFIG, AppConfig } from '../config/app-config';

const MAX_ENTRIES = 2000;

/**
 * Public thread pages of the JSON API, kept in this instance's memory for THREAD_CACHE_MS
 * (default 1 s). A busy article is read far more often than it changes, and the request path
 * costs more than the query. Any write handled by this instance empties the cache, so a writer
 * reads its own change at once; other instances see it within THREAD_CACHE_MS.
 */
@Injectable()
export class ThreadPageCache {
  private readonly pages = new Map<string, { until: number; page: string }>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async read(key: string, load: () => Promise<string>): Promise<string> {
    if (this.config.threadCacheMs === 0) {
      return load();
    }
    const now = Date.now();
    const hit = this.pages.get(key);
    if (hit && hit.until > now) {
      return hit.page;
    }
    const page = await load();
    if (this.pages.size >= MAX_ENTRIES) {
      this.pages.clear();
    }
    this.pages.set(key, { until: now + this.config.threadCacheMs, page });
    return page;
  }

  clear(): void {
    this.pages.clear();
  }
}

/** Empties the thread cache after every write request, whatever it changed. */
@Injectable()
export class ClearThreadCacheOnWrite implements NestInterceptor {
  constructor(private readonly cache: ThreadPageCache) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const method = context.switchToHttp().getRequest<Request>().method;
    if (method === 'GET' || method === 'HEAD') {
      return next.handle();
    }
    return next.handle().pipe(finalize(() => this.cache.clear()));
  }
}
