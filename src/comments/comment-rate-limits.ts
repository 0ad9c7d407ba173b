import { Request } from 'express';
import { RateRule } from '../common/rate-limit';

/** Public write limits; generous for a person typing, tight for a script. */
export const COMMENT_RATE_RULES = {
  postPerIp: { name: 'comment:post:ip', limit: 5, windowSeconds: 60, per: 'network' },
  postPerAddress: { name: 'comment:post:email', limit: 5, windowSeconds: 60, per: 'mailbox' },
  votePerIp: { name: 'comment:vote:ip', limit: 60, windowSeconds: 60, per: 'network' },
  editPerIp: { name: 'comment:edit:ip', limit: 20, windowSeconds: 60, per: 'network' },
  editPerAddress: { name: 'comment:edit:email', limit: 20, windowSeconds: 60, per: 'mailbox' },
} satisfies Record<string, RateRule>;

/** Who is writing: taken from the request by the controller, used for limits and records. */
export interface WriterContext {
  ip: string;
  userAgent: string | null;
}

export function writerOf(req: Request): WriterContext {
  return { ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null };
}
