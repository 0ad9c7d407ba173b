import {
  BadRequestException,
  Controller,
  Get,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { commentId } from '../moderation/comment-id';
import { CommentDecisionsService } from '../moderation/comment-decisions.service';
import { CommentPurgeService } from '../moderation/comment-purge.service';
import { CommentQueueService } from '../moderation/comment-queue.service';
import {
  AdminComment,
  BulkDecisionDto,
  DecideCommentDto,
  DECISIONS,
  QueueQuery,
  QUEUE_VIEWS,
  QueueView,
} from '../moderation/dto/admin-comment.dto';
import { QUEUE_COUNT_CAP } from '../moderation/moderation.repository';
import { QueueCounts } from '../moderation/queue-review.repository';
import { QueueReviewItem, QueueReviewService } from '../moderation/queue-review.service';
import {
  ConsoleGuard,
  ConsoleRequest,
  ConsoleRoles,
  ConsoleSignInFilter,
  wantsJson,
} from './console-auth.guard';
import { field, fields, formOf, Page, safeBack, validateAs } from './console-forms';
import { ConsoleView } from './console-view';
import { QueueLiveService } from './queue-live.service';

const VIEW_LABELS: Record<QueueView, string> = {
  pending: 'Pending',
  reported: 'Reported',
  spam: 'Spam',
  trash: 'Trash',
  approved: 'Approved',
};

/** The queue page's size: 50 comments, read in one statement (see QueueReviewRepository). */
export const QUEUE_PAGE_SIZE = 50;

const STATUS_WORDS: Record<string, string> = {
  approved: 'approved',
  pending: 'held',
  spam: 'marked as spam',
  trash: 'moved to trash',
};

function countLabel(n: number): string {
  return n >= QUEUE_COUNT_CAP ? `${QUEUE_COUNT_CAP - 1}+` : String(n);
}

/** Splits the anchored passage around the quote, so the page can mark what was quoted. */
function passage(text: string | null, exact: string | undefined) {
  if (!text) {
    return null;
  }
  const at = exact ? text.indexOf(exact) : -1;
  return at < 0
    ? { before: text, quote: '', after: '' }
    : { before: text.slice(0, at), quote: exact, after: text.slice(at + (exact?.length ?? 0)) };
}

/**
 * The moderation queue and single comments: every read goes through the queue services and every
 * decision through CommentDecisionsService / CommentPurgeService, exactly as the admin API's
 * comment routes do. Moderators may use all of it.
 */
@ApiExcludeController()
@UseFilters(ConsoleSignInFilter)
@UseGuards(ConsoleGuard)
@ConsoleRoles('admin', 'moderator')
@Controller('admin')
export class ConsoleQueueController {
  constructor(
    private readonly review: QueueReviewService,
    private readonly queue: CommentQueueService,
    private readonly decisions: CommentDecisionsService,
    private readonly purging: CommentPurgeService,
    private readonly live: QueueLiveService,
    private readonly view: ConsoleView,
  ) {}

  @Page('queue')
  async queuePage(@Req() req: ConsoleRequest): Promise<string> {
    const raw = req.query;
    const checked = await validateAs(QueueQuery, {
      status: typeof raw.status === 'string' ? raw.status : undefined,
      article: typeof raw.article === 'string' && raw.article !== '' ? raw.article : undefined,
      cursor: typeof raw.cursor === 'string' ? raw.cursor : undefined,
    });
    if (!checked.value) {
      throw new BadRequestException(checked.errors.join('; '));
    }
    const query = checked.value;
    query.limit = QUEUE_PAGE_SIZE;
    const page = await this.review.review(query);
    const params = new URLSearchParams({ status: query.status });
    if (query.article) {
      params.set('article', query.article);
    }
    const back = `/admin/queue?${params.toString()}`;
    const done = typeof raw.done === 'string' && /^\d{1,4}$/.test(raw.done) ? raw.done : null;
    const movedTo = typeof raw.to === 'string' ? STATUS_WORDS[raw.to] : undefined;
    return this.view.render('queue', req.console!, 'queue', {
      title: `${VIEW_LABELS[query.status]} comments`,
      status: query.status,
      article: query.article ?? '',
      back,
      notice:
        done !== null && movedTo
          ? `${done} ${done === '1' ? 'comment' : 'comments'} ${movedTo}.`
          : null,
      views: QUEUE_VIEWS.filter((v) => v !== 'approved').map((key) => ({
        key,
        label: VIEW_LABELS[key],
        current: key === query.status,
        count: countLabel(page.counts[key]),
      })),
      items: page.items.map((item) => this.itemView(item)),
      nextUrl: page.nextCursor ? `${back}&cursor=${encodeURIComponent(page.nextCursor)}` : null,
    });
  }

  private itemView(item: QueueReviewItem) {
    const c = item.comment;
    return {
      ...item,
      comment: { ...c, bodyHtml: this.view.trusted(c.bodyHtml ?? '') },
      parent: item.parent
        ? { ...item.parent, bodyHtml: this.view.trusted(item.parent.bodyHtml) }
        : null,
      passage: passage(item.anchorText, c.anchor?.quote?.exact),
      orphaned: c.anchor?.state === 'orphaned',
      canPin: c.parentId === null,
      otherCounts: Object.entries(item.otherCounts).map(([status, n]) => ({ status, n })),
    };
  }

  /** Counts as JSON (the script's first paint, and a fallback where streams are cut). */
  @Get('queue/counts')
  counts(): Promise<QueueCounts> {
    return this.review.counts();
  }

  /** Server-sent events: `counts` whenever any instance changes the queue. */
  @Get('queue/stream')
  stream(@Res() res: FastifyReply): void {
    if (!this.live.open(res)) {
      void res
        .status(503)
        .header('Retry-After', '10')
        .send({ statusCode: 503, error: 'Service Unavailable', message: 'too many streams' });
    }
  }

  /** Several comments at once, through the bulk decision the API's bulk route uses. */
  @Post('queue/bulk')
  async bulk(@Req() req: ConsoleRequest, @Res() res: FastifyReply): Promise<void> {
    const form = formOf(req);
    const checked = await validateAs(BulkDecisionDto, {
      ids: fields(form, 'ids'),
      status: field(form, 'status'),
    });
    if (!checked.value) {
      throw new BadRequestException(
        fields(form, 'ids').length === 0
          ? 'select at least one comment first'
          : checked.errors.join('; '),
      );
    }
    const { updated } = await this.decisions.bulk(
      checked.value.ids,
      checked.value.status,
      req.console!.tokenName,
    );
    if (wantsJson(req)) {
      void res.status(200).send({ updated, status: checked.value.status, ids: checked.value.ids });
      return;
    }
    const back = safeBack(field(form, 'back'), '/admin/queue');
    const joiner = back.includes('?') ? '&' : '?';
    void res.redirect(`${back}${joiner}done=${updated}&to=${checked.value.status}`, 303);
  }

  @Page('comments/:id')
  async commentPage(@Param('id') id: string, @Req() req: ConsoleRequest): Promise<string> {
    const comment = await this.queue.get(commentId(id));
    return this.renderComment(req, comment);
  }

  private async renderComment(
    req: ConsoleRequest,
    comment: AdminComment,
    form?: { body: string; reason: string; errors: string[] },
  ): Promise<string> {
    const history = await this.queue.events(comment.id);
    return this.view.render('comment', req.console!, 'queue', {
      title: `Comment by ${comment.authorName ?? 'someone'}`,
      comment: { ...comment, bodyHtml: this.view.trusted(comment.bodyHtml ?? '') },
      canPin: comment.parentId === null,
      editable: comment.status !== 'deleted',
      form: form ?? { body: comment.bodySource, reason: '', errors: [] },
      events: history.items,
      back: `/admin/comments/${comment.id}`,
    });
  }

  /** One decision: approve / hold / spam / trash / pin / unpin (`decision`), optional `reason`. */
  @Post('comments/:id/decide')
  async decide(
    @Param('id') id: string,
    @Req() req: ConsoleRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const key = commentId(id);
    const form = formOf(req);
    const decision = field(form, 'decision');
    const input: Record<string, unknown> = {};
    if ((DECISIONS as readonly string[]).includes(decision ?? '')) {
      input.status = decision;
    } else if (decision === 'pin' || decision === 'unpin') {
      input.pinned = decision === 'pin';
    } else {
      throw new BadRequestException(
        'decision must be approved, pending, spam, trash, pin or unpin',
      );
    }
    const reason = field(form, 'reason')?.trim();
    if (reason) {
      input.reason = reason;
    }
    const checked = await validateAs(DecideCommentDto, input);
    if (!checked.value) {
      throw new BadRequestException(checked.errors.join('; '));
    }
    const comment = await this.decisions.decide(key, checked.value, req.console!.tokenName);
    if (wantsJson(req)) {
      void res.status(200).send({ id: comment.id, status: comment.status, pinned: comment.pinned });
      return;
    }
    void res.redirect(safeBack(field(form, 'back'), '/admin/queue'), 303);
  }

  /** A moderator's edit of the body: re-rendered and sanitized; the old body stays a revision. */
  @Post('comments/:id/edit')
  async edit(
    @Param('id') id: string,
    @Req() req: ConsoleRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const key = commentId(id);
    const form = formOf(req);
    const body = field(form, 'body') ?? '';
    const reason = field(form, 'reason')?.trim() ?? '';
    const checked = await validateAs(DecideCommentDto, {
      body: body.replace(/\r\n/g, '\n'),
      ...(reason ? { reason } : {}),
    });
    if (!checked.value) {
      const comment = await this.queue.get(key);
      void res
        .status(422)
        .type('text/html; charset=utf-8')
        .send(await this.renderComment(req, comment, { body, reason, errors: checked.errors }));
      return;
    }
    await this.decisions.decide(key, checked.value, req.console!.tokenName);
    void res.redirect(`/admin/comments/${key}`, 303);
  }

  /** Deletes for good (the API's DELETE): a placeholder stays where replies hang from it. */
  @Post('comments/:id/purge')
  async purge(
    @Param('id') id: string,
    @Req() req: ConsoleRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const key = commentId(id);
    if (field(formOf(req), 'confirm') !== 'yes') {
      throw new BadRequestException('tick "yes, delete it for good" to purge a comment');
    }
    await this.purging.purge(key, req.console!.tokenName);
    void res.redirect('/admin/queue?status=trash', 303);
  }
}
