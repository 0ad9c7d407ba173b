import { Injectable } from '@nestjs/common';

/** What a screen is told about a new comment (never the article: rules are site-wide). */
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

export type CommentScreen = (input: ScreeningInput) => Promise<ScreeningVerdict>;

/**
 * The seam through which another feature decides what happens to a new comment, so comments never
 * depends on it: moderation registers its rules here at start. With no screen registered, posting
 * keeps the `MODERATION` env behaviour.
 */
@Injectable()
export class CommentScreening {
  private screen: CommentScreen | null = null;

  use(screen: CommentScreen): void {
    this.screen = screen;
  }

  get active(): CommentScreen | null {
    return this.screen;
  }
}
