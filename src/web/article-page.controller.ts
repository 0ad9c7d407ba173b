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
import { Request, Response } from 'express';
import { ArticlesRepository } from '../articles/articles.repository';
import { ArticlesService } from '../articles/articles.service';
import { ArticleResponse } from '../articles/dto/article.dto';
import {
  CommentFormState,
  CommentPageService,
  ThreadPageQuery,
} from '../comments/comment-page.service';
import { writerOf } from '../comments/comment-rate-limits';
import { PagesService } from './pages.service';

function checkSlug(slug: string): void {
  if (!/^[a-z0-9-]{1,120}$/.test(slug)) {
    throw new NotFoundException('article not found');
  }
}

@ApiExcludeController()
@Controller()
export class ArticlePageController {
  constructor(
    private readonly articles: ArticlesService,
    private readonly repository: ArticlesRepository,
    private readonly pages: PagesService,
    private readonly comments: CommentPageService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  async home(@Query() query: ThreadPageQuery): Promise<string> {
    const newest = await this.repository.findNewestPublished();
    if (!newest) {
      return this.pages.render('empty', { title: 'Nothing published yet' });
    }
    return this.renderArticle(await this.articles.getPublished(newest.slug), query);
  }

  @Get('articles/:slug')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async article(@Param('slug') slug: string, @Query() query: ThreadPageQuery): Promise<string> {
    checkSlug(slug);
    return this.renderArticle(await this.articles.getPublished(slug), query);
  }

  /** The comment form without JavaScript: 303 back to the comment, or the form with its errors. */
  @Post('articles/:slug/comments')
  async postComment(
    @Param('slug') slug: string,
    @Body() form: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    checkSlug(slug);
    const outcome = await this.comments.submit(slug, form ?? {}, writerOf(req));
    if ('redirect' in outcome) {
      res.redirect(303, outcome.redirect);
      return;
    }
    const article = await this.articles.getPublished(slug);
    res
      .status(outcome.status)
      .type('html')
      .send(await this.renderArticle(article, {}, outcome.form));
  }

  private async renderArticle(
    article: ArticleResponse,
    query: ThreadPageQuery,
    form?: CommentFormState,
  ): Promise<string> {
    return this.pages.render('article', {
      title: article.title,
      description: article.summary,
      article,
      blocks: article.blocks.map((b) => ({ ...b, html: this.pages.trusted(b.html) })),
      thread: await this.comments.threadView(
        article,
        query,
        (html) => this.pages.trusted(html),
        form,
      ),
      scripts: ['comments.js', 'newsletter.js'],
    });
  }
}
