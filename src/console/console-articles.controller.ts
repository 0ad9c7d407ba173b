import {
  BadRequestException,
  Controller,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ArticlesRepository } from '../articles/articles.repository';
import { ArticlesService } from '../articles/articles.service';
import { CreateArticleDto, UpdateArticleDto } from '../articles/dto/article.dto';
import { ConsoleGuard, ConsoleRequest, ConsoleSignInFilter } from './console-auth.guard';
import { field, formOf, FormFields, Page, validateAs } from './console-forms';
import { ConsoleView } from './console-view';

const SLUG = /^[a-z0-9-]{1,120}$/;

interface ArticleForm {
  title: string;
  slug: string;
  summary: string;
  author: string;
  body: string;
  status: string;
  commentsOpen: boolean;
}

/** What the form posted, as the API's DTO fields; empty optional fields are left out. */
function articleInput(form: FormFields): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const name of ['title', 'slug', 'summary', 'author'] as const) {
    const value = field(form, name)?.trim();
    if (value) {
      input[name] = value;
    }
  }
  const body = field(form, 'body');
  if (body !== undefined) {
    input.body = body.replace(/\r\n/g, '\n');
  }
  const status = field(form, 'status');
  if (status) {
    input.status = status;
  }
  input.commentsOpen = field(form, 'commentsOpen') === 'on';
  return input;
}

/** Articles, admin only: the same ArticlesService calls as /api/admin/articles. */
@ApiExcludeController()
@UseFilters(ConsoleSignInFilter)
@UseGuards(ConsoleGuard)
@Controller('admin/articles')
export class ConsoleArticlesController {
  constructor(
    private readonly articles: ArticlesService,
    private readonly repository: ArticlesRepository,
    private readonly view: ConsoleView,
  ) {}

  @Page()
  async list(@Req() req: ConsoleRequest): Promise<string> {
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    const page = await this.articles.listAll(50, cursor);
    return this.view.render('articles', req.console!, 'articles', {
      title: 'Articles',
      items: page.items,
      nextUrl: page.nextCursor
        ? `/admin/articles?cursor=${encodeURIComponent(page.nextCursor)}`
        : null,
    });
  }

  @Page('new')
  newForm(@Req() req: ConsoleRequest): string {
    return this.renderForm(req, null, {
      title: '',
      slug: '',
      summary: '',
      author: '',
      body: '',
      status: 'draft',
      commentsOpen: true,
    });
  }

  @Page(':slug')
  async editForm(@Param('slug') slug: string, @Req() req: ConsoleRequest): Promise<string> {
    const article = await this.load(slug);
    return this.renderForm(req, slug, {
      title: article.title,
      slug: article.slug,
      summary: article.summary,
      author: article.author ?? '',
      body: article.bodySource,
      status: article.status,
      commentsOpen: article.commentsOpen,
    });
  }

  private async load(slug: string) {
    const article = SLUG.test(slug) ? await this.repository.findBySlug(slug) : null;
    if (!article) {
      throw new NotFoundException('article not found');
    }
    return article;
  }

  private renderForm(
    req: ConsoleRequest,
    slug: string | null,
    form: ArticleForm,
    errors: string[] = [],
  ): string {
    return this.view.render('article-edit', req.console!, 'articles', {
      title: slug ? `Edit “${form.title}”` : 'New article',
      slug,
      form,
      errors,
      published: form.status === 'published',
      action: slug ? `/admin/articles/${slug}` : '/admin/articles',
    });
  }

  private echo(form: FormFields, fallbackStatus: string): ArticleForm {
    return {
      title: field(form, 'title') ?? '',
      slug: field(form, 'slug') ?? '',
      summary: field(form, 'summary') ?? '',
      author: field(form, 'author') ?? '',
      body: field(form, 'body') ?? '',
      status: field(form, 'status') ?? fallbackStatus,
      commentsOpen: field(form, 'commentsOpen') === 'on',
    };
  }

  @Post()
  async create(@Req() req: ConsoleRequest, @Res() res: FastifyReply): Promise<void> {
    const form = formOf(req);
    const checked = await validateAs(CreateArticleDto, articleInput(form));
    if (!checked.value) {
      void res
        .status(422)
        .type('text/html; charset=utf-8')
        .send(this.renderForm(req, null, this.echo(form, 'draft'), checked.errors));
      return;
    }
    const article = await this.articles.create(checked.value);
    void res.redirect(`/admin/articles/${article.slug}`, 303);
  }

  /** The edit form, and the one-button actions (publish, unpublish, open or close comments). */
  @Post(':slug')
  async update(
    @Param('slug') slug: string,
    @Req() req: ConsoleRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    await this.load(slug);
    const form = formOf(req);
    const action = field(form, 'action');
    let input: Record<string, unknown>;
    if (action === 'publish' || action === 'unpublish') {
      input = { status: action === 'publish' ? 'published' : 'draft' };
    } else if (action === 'close-comments' || action === 'open-comments') {
      input = { commentsOpen: action === 'open-comments' };
    } else if (action === 'save') {
      input = articleInput(form);
    } else {
      throw new BadRequestException('unknown action');
    }
    const checked = await validateAs(UpdateArticleDto, input);
    if (!checked.value) {
      void res
        .status(422)
        .type('text/html; charset=utf-8')
        .send(this.renderForm(req, slug, this.echo(form, 'draft'), checked.errors));
      return;
    }
    const article = await this.articles.update(slug, checked.value);
    void res.redirect(`/admin/articles/${article.slug}`, 303);
  }
}
