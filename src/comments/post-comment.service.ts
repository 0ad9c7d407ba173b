import { randomUUID } from 'node:crypto';
import {
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ArticleForPosting, ArticlesRepository } from '../articles/articles.repository';
import { RateLimiter } from '../common/rate-limit';
import { hashPersonal, hashToken, newToken } from '../common/tokens';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { normalizeQuote, quoteFoundIn } from './anchoring';
import { renderCommentBody } from './comment-body';
import { CommentEntity, CommentStatus, Quote } from './comment.entity';
import { COMMENT_RATE_RULES, WriterContext } from './comment-rate-limits';
import { CommentScreening } from './comment-screening';
import { CommentVisibility } from './comment-visibility.service';
import { CommentsRepository } from './comments.repository';
import { PostCommentDto, PostedComment, toCommentResponse } from './dto/comment.dto';

export const EDIT_WINDOW_MS = 15 * 60 * 1000;

/** The same body from the same address within this window is a double submit or a flood. */
export const DUPLICATE_WINDOW_MS = 60 * 1000;

export function emailHash(email: string, secret: string): string {
  return hashPersonal(`email:${email.trim().toLowerCase()}`, secret);
}

/** Posting a comment: checks, moderation on arrival, one transaction, 201 with an edit token. */
@Injectable()
export class PostCommentService {
  constructor(
    private readonly articles: ArticlesRepository,
    private readonly comments: CommentsRepository,
    private readonly visibility: CommentVisibility,
    private readonly limiter: RateLimiter,
    private readonly screening: CommentScreening,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async post(slug: string, input: PostCommentDto, writer: WriterContext): Promise<PostedComment> {
    const email = input.authorEmail.trim();
    await this.limiter.consume([
      { rule: COMMENT_RATE_RULES.postPerIp, subject: writer.ip },
      { rule: COMMENT_RATE_RULES.postPerAddress, subject: email },
    ]);
    const article = await this.articles.findForPosting(slug, Boolean(input.anchor));
    if (!article) {
      throw new NotFoundException('article not found');
    }
    if (!article.commentsOpen) {
      throw new ConflictException('comments are closed on this article');
    }
    const parent = input.parentId ? await this.findParent(input.parentId, article) : null;
    const anchor = input.anchor ? this.resolveAnchor(input, article) : null;
    const hash = emailHash(email, this.config.hashSecret);
    const { status, reasons } = await this.statusOnArrival(input, email, hash, writer);
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
      status: status === 'spam' ? 'spam' : 'pending',
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
      approvedAt: null,
      deletedAt: null,
    });
    await this.visibility.transaction(async (tx) => {
      // Reset on every attempt: a transaction retried after a deadlock starts from scratch.
      comment.status = status === 'spam' ? 'spam' : 'pending';
      comment.reasons = reasons;
      const duplicate = await this.comments.lockAndFindSameBody(tx.manager, {
        emailHash: hash,
        articleId: article.id,
        body: input.body,
        since: new Date(now.getTime() - DUPLICATE_WINDOW_MS),
      });
      if (duplicate) {
        throw new ConflictException(
          'duplicate comment: this text was just posted from this address',
        );
      }
      await this.comments.insert(tx.manager, comment);
      if (status === 'approved') {
        await tx.setStatus(comment, 'approved');
      }
      // The parent was checked before the transaction. Its row is now locked by the reply-count
      // update, so this reads its latest status: a reply never lands under a withdrawn comment.
      if (parent && (await this.comments.findStatus(tx.manager, parent.id)) !== 'approved') {
        throw new UnprocessableEntityException('the parent comment is not approved');
      }
      await tx.arrived(comment, writer);
    });
    return {
      comment: toCommentResponse(comment),
      editToken,
      editableUntil: comment.editableUntil.toISOString(),
    };
  }

  private async findParent(parentId: string, article: ArticleForPosting): Promise<CommentEntity> {
    const parent = await this.comments.findById(parentId);
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
    article: ArticleForPosting,
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

  private async statusOnArrival(
    input: PostCommentDto,
    email: string,
    hash: string,
    writer: WriterContext,
  ): Promise<{ status: CommentStatus; reasons: string[] }> {
    return this.screening.judge({
      body: input.body,
      authorName: input.authorName.trim(),
      authorEmail: email,
      ip: writer.ip,
      honeypotFilled: !!input.website && input.website.trim() !== '',
      trustedAuthor: await this.comments.hasApprovedCommentFrom(hash),
    });
  }
}
