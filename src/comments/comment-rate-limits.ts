import { FastifyRequest } from 'fastify';
import { userAgentOf } from '../http/request-info';
import { RateRule } from '../common/rate-limit';

/** Public write limits; generous for a person typing, tight for a script. */
export const COMMENT_RATE_RULES = {
  postPerIp: { name: 'comment:post:ip', limit: 5, windowSeconds: 60, per: 'network' },
  postPerAddress: { name: 'comment:post:email', limit: 5, windowSeconds: 60, per: 'mailbox' },
  votePerIp: { name: 'comment:vote:ip', limit: 60, windowSeconds: 60, per: 'network' },
  /** Charged only by a wrong edit token, to the caller's network (subject: networkOf, /24 or /64). */
  wrongEditTokenPerNetwork: {
    name: 'comment:edit:wrong-token:net',
    limit: 20,
    windowSeconds: 60,
    per: 'key',
  },
  /** Charged only by the right token, so only the token's holder can spend it. */
  editPerComment: { name: 'comment:edit:comment', limit: 20, windowSeconds: 60, per: 'key' },
} satisfies Record<string, RateRule>;

/** Who is writing: taken from the request by the controller, used for limits and records. */
export interface WriterContext {
  ip: string;
  userAgent: string | null;
}

export function writerOf(req: FastifyRequest): WriterContext {
  return { ip: req.ip ?? 'unknown', userAgent: userAgentOf(req) };
}
