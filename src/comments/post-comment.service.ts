import { randomUUID } from 'node:crypto';
import {
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RateLimiter } from '../common/rate-limit';
import { hashPersonal, hashToken, newToken } from '../common/tokens';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { normalizeQuote, quoteFoundIn } from './anchoring';
import { renderCommentBody } from './comment-body';
import { inStatement, inTransaction } from '../database/transactions';
import { emitInTransaction } from '../database/in-transaction-events';
import { applyCounterMoves } from './article-counters';
import { CommentArrivalRepository, countersOf, PostingContext } from './comment-arrival.repository';
import { CommentArrivals } from './comment-arrivals';
import { CommentEntity, Quote } from './comment.entity';
import { CommentStatusChangedInTx } from './comment.events';
import { COMMENT_RATE_RULES, WriterContext } from './comment-rate-limits';
import { CommentScreening } from './comment-screening';
import { CommentVisibility } from './comment-visibility.service';
import { PostCommentDto, PostedComment, toCommentResponse } from './dto/comment.dto';

export const EDIT_WINDOW_MS = 15 * 60 * 1000;

export function emailHash(email: string, secret: string): string {
  return hashPersonal(`email:${email.trim().toLowerCase()}`, secret);
}

/**
 * Posting a comment: two statements in the common case. The first counts the rate limits and
 * reads the article, the parent, the author's standing, the screen's rules and the arrival
 * interests' probes; the second writes the comment with its claim against double submits, its
 * counters and its history (CommentArrivalRepository). Only when a feature has work for this
 * arrival (subscribers to notify, a webhook, a subscription to request, moderators to alert) is
 * the write made in a transaction that runs its listeners (CommentStatusChangedInTx).
 */
@Injectable()
export class PostCommentService {
  constructor(
    private readonly repository: CommentArrivalRepository,
    private readonly arrivals: CommentArrivals,
    private readonly visibility: CommentVisibility,
    private readonly limiter: RateLimiter,
    private readonly screening: CommentScreening,
    private readonly events: EventEmitter2,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async post(slug: string, input: PostCommentDto, writer: WriterContext): Promise<PostedComment> {
    const email = input.authorEmail.trim();
    const hash = emailHash(email, this.config.hashSecret);
    const hits = this.limiter.plan([
      { rule: COMMENT_RATE_RULES.postPerIp, subject: writer.ip },
      { rule: COMMENT_RATE_RULES.postPerAddress, subject: email },
    ]);
    const context = await this.repository.readContext({
      slug,
      withBlocks: Boolean(input.anchor),
      parentId: input.parentId ?? null,
      emailHash: hash,
      hits,
      screen: this.screening.prefetch,
      probes: this.arrivals.probes,
    });
    hits?.settle(context.hits);
    const article = context.article;
    if (!article) {
      throw new NotFoundException('article not found');
    }
    if (!article.commentsOpen) {
      throw new ConflictException('comments are closed on this article');
    }
    const parent = input.parentId ? this.checkParent(context.parent, article) : null;
    const anchor = input.anchor ? this.resolveAnchor(input, article) : null;
    const { status, reasons } = await this.screening.judge(
      {
        body: input.body,
        authorName: input.authorName.trim(),
        authorEmail: email,
        ip: writer.ip,
        honeypotFilled: !!input.website && input.website.trim() !== '',
        trustedAuthor: context.trusted,
      },
      context.screen,
    );
    const body = renderCommentBody(input.body);
    const editToken = newToken('cet_');
    const id = randomUUID();
    const now = new Date();
    const comment: CommentEntity = Object.assign(new CommentEntity(), {
      id,
      articleId: article.id,
      parentId: parent?.id ?? null,
      rootId: parent?.rootId ?? id,
      depth: parent ? parent.depth + 1 : 0,
      path: parent ? [...parent.path, parent.id] : [],
      authorName: input.authorName.trim(),
      authorEmail: email,
      authorEmailHash: hash,
      bodySource: input.body,
      bodyHtml: body.html,
      renderVersion: body.renderVersion,
      status,
      reasons,
      notify: input.notify ?? 'none',
      anchorBlockId: anchor?.blockId ?? null,
      anchorQuote: anchor?.quote ?? null,
      anchorState: anchor ? 'anchored' : null,
      pinned: false,
      upCount: 0,
      downCount: 0,
      replyCount: 0,
      ipHash: hashPersonal(`ip:${writer.ip}`, this.config.hashSecret),
      userAgent: writer.userAgent?.slice(0, 500) ?? null,
      editTokenHash: hashToken(editToken),
      editableUntil: new Date(now.getTime() + EDIT_WINDOW_MS),
      createdAt: now,
      editedAt: null,
      approvedAt: status === 'approved' ? now : null,
      deletedAt: null,
    });
    const outcome = this.arrivals.wanted(comment, context.probed)
      ? await inTransaction(this.dataSource, async (manager) => {
          const { records } = this.arrivals;
          const written = await this.repository.write(comment, records, manager, 'later');
          if (written.claimed) {
            await emitInTransaction(
              this.events,
              CommentStatusChangedInTx.event,
              new CommentStatusChangedInTx(comment, null, manager, writer),
            );
            await applyCounterMoves(manager, countersOf(comment));
          }
          return written;
        })
      : await inStatement(() => this.repository.write(comment, this.arrivals.records));
    if (!outcome.parentApproved) {
      throw new UnprocessableEntityException('the parent comment is not approved');
    }
    if (!outcome.claimed) {
      throw new ConflictException('duplicate comment: this text was just posted from this address');
    }
    if (status === 'approved') {
      this.visibility.publishArrival(comment);
    }
    return {
      comment: toCommentResponse(comment),
      editToken,
      editableUntil: comment.editableUntil.toISOString(),
    };
  }

  private checkParent(
    parent: PostingContext['parent'],
    article: NonNullable<PostingContext['article']>,
  ): NonNullable<PostingContext['parent']> {
    if (!parent) {
      throw new NotFoundException('parent comment not found');
    }
    if (parent.articleId !== article.id) {
      throw new UnprocessableEntityException('the parent comment belongs to another article');
    }
    if (parent.status !== 'approved') {
      throw new UnprocessableEntityException('the parent comment is not approved');
    }
    return parent;
  }

  private resolveAnchor(
    input: PostCommentDto,
    article: NonNullable<PostingContext['article']>,
  ): { blockId: string; quote: Quote | null } {
    const anchor = input.anchor!;
    if (input.parentId) {
      throw new UnprocessableEntityException('a reply cannot carry an anchor; anchor its thread');
    }
    const block = article.blocks.find((b) => b.id === anchor.blockId);
    if (!block) {
      throw new UnprocessableEntityException('anchor.blockId is not a block of this article');
    }
    if (!anchor.quote) {
      return { blockId: block.id, quote: null };
    }
    const quote = normalizeQuote(anchor.quote);
    if (!quoteFoundIn(block, quote)) {
      throw new UnprocessableEntityException('anchor.quote.exact is not found in that block');
    }
    return { blockId: block.id, quote };
  }
}
