import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ExportComment, ExportRepository } from './export.repository';
import {
  jsonlArticle,
  jsonlComment,
  WXR_ITEM_END,
  WXR_TAIL,
  wxrComment,
  wxrHead,
  wxrItemStart,
} from './export-writers';

export type ExportFormat = 'wxr' | 'jsonl';

const ARTICLE_PAGE = 100;
const COMMENT_PAGE = 1000;

/**
 * Every article with its comments, as text chunks produced page by page: the caller writes each
 * chunk and waits for the socket to drain, so an export of any size holds one page at a time
 * (and, for WXR, one article's comment numbers, which WordPress needs as integers).
 */
@Injectable()
export class ExportService {
  constructor(
    private readonly repository: ExportRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async *chunks(format: ExportFormat): AsyncGenerator<string> {
    const site = this.config.publicUrl;
    if (format === 'wxr') {
      yield wxrHead(site);
    }
    let postId = 0;
    let commentId = 0;
    let after: string | null = null;
    for (;;) {
      const articles = await this.repository.articlesAfter(after, ARTICLE_PAGE);
      for (const article of articles) {
        postId += 1;
        yield format === 'wxr' ? wxrItemStart(site, postId, article) : jsonlArticle(site, article);
        const numbers = new Map<string, number>();
        for await (const page of this.commentPages(article.id)) {
          let out = '';
          for (const c of page) {
            if (format === 'wxr') {
              commentId += 1;
              numbers.set(c.id, commentId);
              out += wxrComment(commentId, c.parent_id ? (numbers.get(c.parent_id) ?? 0) : 0, c);
            } else {
              out += jsonlComment(article, c);
            }
          }
          yield out;
        }
        if (format === 'wxr') {
          yield WXR_ITEM_END;
        }
      }
      if (articles.length < ARTICLE_PAGE) {
        break;
      }
      after = articles[articles.length - 1].id;
    }
    if (format === 'wxr') {
      yield WXR_TAIL;
    }
  }

  private async *commentPages(articleId: string): AsyncGenerator<ExportComment[]> {
    let after: { depth: number; createdAt: Date; id: string } | null = null;
    for (;;) {
      const page = await this.repository.commentsAfter(articleId, after, COMMENT_PAGE);
      if (page.length > 0) {
        yield page;
      }
      if (page.length < COMMENT_PAGE) {
        return;
      }
      const last: ExportComment = page[page.length - 1];
      after = { depth: last.depth, createdAt: last.created_at, id: last.id };
    }
  }
}
