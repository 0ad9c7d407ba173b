import { Injectable } from '@nestjs/common';
import { ArticlesService } from '../articles/articles.service';
import { ArticleResponse } from '../articles/dto/article.dto';
import {
  CommentFormState,
  CommentPageService,
  FormState,
  ThreadPageQuery,
} from '../comments/comment-page.service';
import { ReadContext } from '../database/read-context';
import { PagesService } from './pages.service';

/** Forms of the article page shown again with what the reader typed and what was wrong. */
export interface ArticlePageForms {
  comment?: CommentFormState;
  follow?: FormState;
  newsletter?: FormState;
}

/** Renders the article page; shared by every page route that may show it again with errors. */
@Injectable()
export class ArticlePageRenderer {
  constructor(
    private readonly articles: ArticlesService,
    private readonly pages: PagesService,
    private readonly comments: CommentPageService,
  ) {}

  /**
   * `reads` are the request's for a page GET; a page shown again after a form post reads from
   * the primary (PRIMARY_READS), as the post's own reads do.
   */
  async render(
    reads: ReadContext,
    slug: string,
    query: ThreadPageQuery,
    forms: ArticlePageForms = {},
  ) {
    return this.renderArticle(reads, await this.articles.getPublished(reads, slug), query, forms);
  }

  async renderArticle(
    reads: ReadContext,
    article: ArticleResponse,
    query: ThreadPageQuery,
    forms: ArticlePageForms = {},
  ): Promise<string> {
    const thread = await this.comments.threadView(
      reads,
      article,
      query,
      (html) => this.pages.trusted(html),
      forms.comment,
    );
    return this.pages.render('article', {
      title: article.title,
      description: article.summary,
      article,
      blocks: article.blocks.map((b) => ({ ...b, html: this.pages.trusted(b.html) })),
      thread: {
        ...thread,
        follow: {
          open: query.following === '1' || forms.follow !== undefined,
          done: query.following === '1',
          form: forms.follow ?? { values: {}, fields: {}, summary: [] },
        },
      },
      newsletter: {
        done: query.subscribed === '1',
        form: forms.newsletter ?? { values: {}, fields: {}, summary: [] },
      },
      scripts: ['comments.js', 'comment-moderation.js', 'newsletter.js'],
    });
  }
}
