import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { networkHash } from '../common/client-keys';
import { RateLimitedException, RateLimiter } from '../common/rate-limit';
import { hashPersonal } from '../common/tokens';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { COMMENT_RATE_RULES, WriterContext } from './comment-rate-limits';
import { CommentsRepository } from './comments.repository';
import { VoteResponse } from './dto/comment.dto';

const VOTER_ID = /^[\x21-\x7e]{16,128}$/;

/**
 * One vote per voter per comment; counters move in the same statement as the vote row. Voter ids
 * are the client's to choose, so one network (IPv4 /24, IPv6 /64) may move one comment's score by
 * at most `votesPerNetworkPerHour` in any hour, counted in PostgreSQL across every instance.
 */
@Injectable()
export class CommentVotesService {
  constructor(
    private readonly comments: CommentsRepository,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async vote(
    id: string,
    voterId: string | undefined,
    value: 1 | 0 | -1,
    writer: WriterContext,
  ): Promise<{ response: VoteResponse; articleId: string }> {
    if (!voterId || !VOTER_ID.test(voterId)) {
      throw new BadRequestException('X-Voter-Id must be 16 to 128 printable characters');
    }
    await this.limiter.consume([{ rule: COMMENT_RATE_RULES.votePerIp, subject: writer.ip }]);
    const voterKey = hashPersonal(`voter:${voterId}`, this.config.hashSecret);
    const cap = this.config.rateLimit ? this.config.votesPerNetworkPerHour : 0;
    const network = networkHash(writer.ip, this.config.hashSecret);
    return this.comments.transaction(async (manager) => {
      // The network's lock first, then the voter's: every vote takes them in that order.
      if (cap > 0) {
        await this.comments.lockVoter(manager, id, `net:${network}`);
      }
      await this.comments.lockVoter(manager, id, voterKey);
      const moves = Math.abs(value - (await this.comments.findVote(manager, id, voterKey)));
      if (cap > 0 && moves > 0) {
        const spent = await this.comments.voteMovesInLastHour(manager, id, network);
        if (spent.moves + moves > cap) {
          throw new RateLimitedException(spent.retryAfterSeconds);
        }
      }
      const counters = await this.comments.applyVote(manager, { commentId: id, voterKey, value });
      if (!counters) {
        throw new NotFoundException('comment not found');
      }
      if (cap > 0 && moves > 0) {
        await this.comments.recordVoteMoves(manager, id, network, moves);
      }
      return {
        response: this.response(counters.up, counters.down, value),
        articleId: counters.articleId,
      };
    });
  }

  private response(up: number, down: number, myVote: 1 | 0 | -1): VoteResponse {
    return { up, down, score: up - down, myVote };
  }
}
