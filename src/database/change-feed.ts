import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PgNotifications } from './pg-notifications';

/** The channel the `marginalia_notify_change` trigger announces committed changes on. */
export const CHANGES_CHANNEL = 'marginalia_changes';

/** One committed change, as the trigger describes it. */
export interface Change {
  table: 'comments' | 'comment_reports' | 'articles';
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  articleId: string;
  /** For comments and reports: the comment (and, for comments, its status after the change). */
  commentId?: string;
  status?: string;
}

/**
 * `null` says "changes may have been missed" (the listening connection was just made, was lost,
 * or is back): whoever keeps derived state should drop all of it.
 */
export type ChangeListener = (change: Change | null) => void;

/**
 * Committed changes of every instance (and of any other writer), parsed, on the instance's one
 * LISTEN connection. Losing it only costs freshness: caches fall back to their expiry. PGlite is
 * one process, so there is nothing to hear from elsewhere.
 */
@Injectable()
export class ChangeFeed {
  constructor(
    private readonly notifications: PgNotifications,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  subscribe(listener: ChangeListener): () => void {
    if (this.config.database.kind !== 'postgres') {
      return () => undefined;
    }
    return this.notifications.subscribe(CHANGES_CHANNEL, (payload) =>
      listener(payload === null ? null : parse(payload)),
    );
  }

  /** Resolves once the LISTEN is in place (or failed); tests wait on it. */
  listening(): Promise<void> {
    return this.notifications.listening();
  }
}

function parse(payload: string): Change | null {
  try {
    const change = JSON.parse(payload) as Change;
    return typeof change.articleId === 'string' ? change : null;
  } catch {
    return null;
  }
}
