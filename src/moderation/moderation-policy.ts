// The same words the comments feature uses when no rules are registered, so the queue reads alike.
import { HOLD_REASONS } from '../comments/comment-screening';
import { ModerationMode } from '../config/app-config';
import { countLinks, emailMatches, ipMatches, wordMatcher } from './moderation-rules';

export interface ModerationSettings {
  mode: ModerationMode;
  maxLinks: number;
  holdWords: string[];
  blockWords: string[];
  blockedEmails: string[];
  blockedIps: string[];
  reportThreshold: number;
  moderatorEmails: string[];
}

export const DEFAULT_MODERATION_SETTINGS: Omit<ModerationSettings, 'mode'> = {
  maxLinks: 2,
  holdWords: [],
  blockWords: [],
  blockedEmails: [],
  blockedIps: [],
  reportThreshold: 3,
  moderatorEmails: [],
};

export interface Submission {
  body: string;
  authorName: string;
  authorEmail: string;
  ip: string | null;
  honeypotFilled: boolean;
  /** The address has an approved comment somewhere on the site (mode `first`). */
  trustedAuthor: boolean;
}

export interface Verdict {
  status: 'approved' | 'pending' | 'spam';
  reasons: string[];
}

/**
 * Decides what happens to a new comment. Spam rules win over hold rules; every rule that fired
 * at the deciding level is named, so the queue can say why.
 */
export function judge(submission: Submission, settings: ModerationSettings): Verdict {
  const spam: string[] = [];
  if (submission.honeypotFilled) {
    spam.push(HOLD_REASONS.honeypot);
  }
  const blockWords = wordMatcher(settings.blockWords);
  for (const word of blockWords(`${submission.authorName}\n${submission.body}`)) {
    spam.push(`block word "${word}"`);
  }
  const email = emailMatches(submission.authorEmail, settings.blockedEmails);
  if (email) {
    spam.push(`blocked email ${email}`);
  }
  const ip = ipMatches(submission.ip, settings.blockedIps);
  if (ip) {
    spam.push(`blocked ip ${ip}`);
  }
  if (spam.length > 0) {
    return { status: 'spam', reasons: spam };
  }

  const hold: string[] = [];
  if (settings.mode === 'all') {
    hold.push(HOLD_REASONS.all);
  } else if (settings.mode === 'first' && !submission.trustedAuthor) {
    hold.push(HOLD_REASONS.first);
  }
  const links = countLinks(submission.body);
  if (links > settings.maxLinks) {
    hold.push(`${links} links (more than ${settings.maxLinks})`);
  }
  for (const word of wordMatcher(settings.holdWords)(
    `${submission.authorName}\n${submission.body}`,
  )) {
    hold.push(`hold word "${word}"`);
  }
  return hold.length > 0
    ? { status: 'pending', reasons: hold }
    : { status: 'approved', reasons: [] };
}
