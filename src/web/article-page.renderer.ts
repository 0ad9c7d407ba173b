import { Injectable } from '@nestjs/common';
import { ArticlesService } from '../articles/articles.service';
import { ArticleResponse } from '../articles/dto/article.dto';
import {
  CommentFormState,
  CommentPageService,
  FormState,
  ThreadPageQuery,
} from '../comments/comment-page.service';
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

  async render(slug: string, query: ThreadPageQuery, forms: ArticlePageForms = {}) {
    return this.renderArticle(await this.articles.getPublished(slug), query, forms);
  }

  async renderArticle(
    article: ArticleResponse,
    query: ThreadPageQuery,
    forms: ArticlePageForms = {},
  ): Promise<string> {
    const thread = await this.comments.threadView(
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
