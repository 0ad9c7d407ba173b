import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** What a screen is told about a comment's text (never the article: rules are site-wide). */
export interface ScreeningInput {
  body: string;
  authorName: string;
  authorEmail: string;
  ip: string | null;
  honeypotFilled: boolean;
  /** The address already has an approved comment somewhere on the site. */
  trustedAuthor: boolean;
}

export interface ScreeningVerdict {
  status: 'approved' | 'pending' | 'spam';
  /** Why it was held or marked spam, kept on the comment for the moderators. */
  reasons: string[];
}

/**
 * Judges a comment. `prefetched` is the value of the screen's `prefetch` expression when the
 * caller read it along with its own statement (a new comment), undefined otherwise (an edit).
 */
export type CommentScreen = (
  input: ScreeningInput,
  prefetched?: unknown,
) => ScreeningVerdict | Promise<ScreeningVerdict>;

/** Reasons a comment is not published when no screen is registered (the `MODERATION` env mode). */
export const HOLD_REASONS = {
  honeypot: 'honeypot field filled',
  all: 'moderation mode "all": every comment is held',
  first: 'first comment of this address',
} as const;

/**
 * The seam through which another feature decides what happens to a comment's text, so comments
 * never depends on it: moderation registers its rules here at start. Every new comment and every
 * author edit is judged here, the same way. With no screen registered, the `MODERATION` env mode
 * decides.
 */
@Injectable()
export class CommentScreening {
  private screen: CommentScreen | null = null;
  private prefetchSql: string | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * `prefetch`, a scalar SQL expression, is what the screen reads for each comment (its rules):
   * posting reads it in its first statement and hands the value to the screen.
   */
  use(screen: CommentScreen, prefetch?: string): void {
    this.screen = screen;
    this.prefetchSql = prefetch ?? null;
  }

  get active(): CommentScreen | null {
    return this.screen;
  }

  /** The expression to read for `judge`'s `prefetched`, or null when the screen needs none. */
  get prefetch(): string | null {
    return this.screen ? this.prefetchSql : null;
  }

  async judge(input: ScreeningInput, prefetched?: unknown): Promise<ScreeningVerdict> {
    return this.screen ? this.screen(input, prefetched) : this.byMode(input);
  }

  private byMode(input: ScreeningInput): ScreeningVerdict {
    if (input.honeypotFilled) {
      return { status: 'spam', reasons: [HOLD_REASONS.honeypot] };
    }
    switch (this.config.moderation) {
      case 'none':
        return { status: 'approved', reasons: [] };
      case 'all':
        return { status: 'pending', reasons: [HOLD_REASONS.all] };
      case 'first':
        return input.trustedAuthor
          ? { status: 'approved', reasons: [] }
          : { status: 'pending', reasons: [HOLD_REASONS.first] };
    }
  }
}

const SEVERITY: Record<string, number> = { approved: 0, pending: 1, spam: 2 };

/**
 * What an author's edit does to a comment that is `current` (approved or pending): the stricter of
 * the two, so an edit can take a comment out of the thread but never publish a held one.
 */
export function statusAfterEdit(
  current: 'approved' | 'pending',
  verdict: ScreeningVerdict,
): 'approved' | 'pending' | 'spam' {
  return SEVERITY[verdict.status] > SEVERITY[current] ? verdict.status : current;
}
