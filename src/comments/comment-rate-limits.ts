import { Request } from 'express';
import { RateRule } from '../common/rate-limit';

/** Public write limits; generous for a person typing, tight for a script. */
export const COMMENT_RATE_RULES = {
  postPerIp: { name: 'comment:post:ip', limit: 5, windowSeconds: 60 },
  postPerAddress: { name: 'comment:post:email', limit: 5, windowSeconds: 60 },
  votePerIp: { name: 'comment:vote:ip', limit: 60, windowSeconds: 60 },
  /** Charged only by a wrong edit token, to the caller's network (IPv4 /24, IPv6 /64). */
  wrongEditTokenPerNetwork: { name: 'comment:edit:wrong-token:net', limit: 20, windowSeconds: 60 },
  /** Charged only by the right token, so only the token's holder can spend it. */
  editPerComment: { name: 'comment:edit:comment', limit: 20, windowSeconds: 60 },
} satisfies Record<string, RateRule>;

/** Who is writing: taken from the request by the controller, used for limits and records. */
export interface WriterContext {
  ip: string;
  userAgent: string | null;
}

export function writerOf(req: Request): WriterContext {
  return { ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') ?? null };
}
