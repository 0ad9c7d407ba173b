import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ChangeFeed } from '../database/change-feed';
import { ReadReplica } from '../database/read-replica';
import { ThreadPageCache } from './thread-page-cache';

/**
 * Drops the article's pages from this instance's thread cache when any instance commits a change
 * to one of its comments or to it (the change feed, ~ms after the commit), and once more when the
 * replica has replayed it, so a page read from a replica a moment behind is not kept; everything
 * when changes may have been missed (the feed's connection was lost or is new). The cache's own
 * expiry stays the fallback for notifications lost while the feed reconnects.
 */
@Injectable()
export class ThreadCacheInvalidation implements OnModuleInit, OnModuleDestroy {
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly replica: ReadReplica,
    private readonly cache: ThreadPageCache,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.feed.subscribe((change) => {
      if (change === null) {
        this.cache.clear();
        return;
      }
      const { articleId } = change;
      this.cache.invalidateArticle(articleId);
      this.replica.afterReplicaCatchesUp(() => this.cache.invalidateArticle(articleId));
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}
