import {
  Body,
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { setCookie } from '../http/request-info';
import { ArticlesRepository } from '../articles/articles.repository';
import { CommentPageService, ThreadPageQuery } from '../comments/comment-page.service';
import { writerOf } from '../comments/comment-rate-limits';
import { PRIMARY_READS, ReadContext, Reads } from '../database/read-context';
import { ArticlePageRenderer } from './article-page.renderer';
import { PagesService } from './pages.service';

export function checkSlug(slug: string): void {
  if (!/^[a-z0-9-]{1,120}$/.test(slug)) {
    throw new NotFoundException('article not found');
  }
}

/**
 * A comment posted by the plain form: its id and edit token for this browser's page script (the
 * author's held comment, edit and delete), as a short-lived cookie the script moves into its own
 * storage at once. Strict same-site, one article's path, the edit window long.
 */
export const OWN_COMMENT_COOKIE = 'marginalia-own';

@ApiExcludeController()
@Controller()
export class ArticlePageController {
  constructor(
    private readonly repository: ArticlesRepository,
    private readonly pages: PagesService,
    private readonly renderer: ArticlePageRenderer,
    private readonly comments: CommentPageService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  async home(@Query() query: ThreadPageQuery, @Reads() reads: ReadContext): Promise<string> {
    const newest = await this.repository.findNewestPublished(reads);
    if (!newest) {
      return this.pages.render('empty', { title: 'Nothing published yet' });
    }
    return this.renderer.render(reads, newest.slug, query);
  }

  @Get('articles/:slug')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async article(
    @Param('slug') slug: string,
    @Query() query: ThreadPageQuery,
    @Reads() reads: ReadContext,
  ): Promise<string> {
    checkSlug(slug);
    return this.renderer.render(reads, slug, query);
  }

  /** The comment form without JavaScript: 303 to the outcome, or the form with its errors. */
  @Post('articles/:slug/comments')
  async postComment(
    @Param('slug') slug: string,
    @Body() form: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    checkSlug(slug);
    const outcome = await this.comments.submit(slug, form ?? {}, writerOf(req));
    if ('redirect' in outcome) {
      setCookie(res, OWN_COMMENT_COOKIE, `${outcome.own.id}.${outcome.own.editToken}`, {
        path: `/articles/${slug}`,
        maxAgeMs: 15 * 60 * 1000,
        sameSite: 'strict',
        secure: req.protocol === 'https',
      });
      void res.redirect(outcome.redirect, 303);
      return;
    }
    void res
      .status(outcome.status)
      .type('text/html; charset=utf-8')
      .send(await this.renderer.render(PRIMARY_READS, slug, {}, { comment: outcome.form }));
  }

  /** "Show more replies" without JavaScript: every reply of one comment on a page of its own. */
  @Get('comments/:id/replies')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async replies(
    @Param('id') id: string,
    @Reads() reads: ReadContext,
    @Query('cursor') cursor?: string,
  ): Promise<string> {
    const view = await this.comments.repliesView(reads, id, cursor, (html) =>
      this.pages.trusted(html),
    );
    return this.pages.render('replies', { title: `Replies · ${view.article.title}`, ...view });
  }
}
