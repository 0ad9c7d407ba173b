import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { Page } from '../common/list.dto';
import { renderBlocks, slugify, summarize } from './article-blocks';
import { ArticleEntity } from './article.entity';
import { ArticleBlocksChangedEvent } from './article.events';
import { ArticlesRepository, KeyedArticle } from './articles.repository';
import {
  ArticleResponse,
  ArticleSummaryResponse,
  CreateArticleDto,
  UpdateArticleDto,
  toArticleResponse,
  toArticleSummary,
} from './dto/article.dto';
import { emitInTransaction } from '../database/in-transaction-events';
import { ReadContext } from '../database/read-context';

const TIME_ID = ['timestamp', 'uuid'] as const;

function page(rows: KeyedArticle[], limit: number): Page<ArticleSummaryResponse> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map((row) => toArticleSummary(row.article)),
    nextCursor:
      rows.length > limit && last ? encodeCursor([last.cursorTime, last.article.id]) : null,
  };
}

/**
 * A published article's JSON, prepared once per saved version: the text around its counters,
 * which are filled in per read (they move with every comment, the rest only when it is saved).
 */
interface PreparedArticle {
  version: string;
  /** The JSON up to and including `"commentCount":`. */
  head: string;
  /** Each block's JSON up to and including `"inlineCount":`, with its id. */
  blocks: { id: string; head: string }[];
}

const PREPARED_MAX = 1000;

function prepare(article: ArticleEntity, version: string): PreparedArticle {
  // commentCount is the summary's last key: left out (undefined) here, appended per read.
  const summary = { ...toArticleSummary(article), commentCount: undefined };
  return {
    version,
    head: `${JSON.stringify(summary).slice(0, -1)},"commentCount":`,
    blocks: article.blocks.map((b) => ({
      id: b.id,
      head: `${JSON.stringify({ id: b.id, type: b.type, html: b.html, text: b.text }).slice(0, -1)},"inlineCount":`,
    })),
  };
}

@Injectable()
export class ArticlesService {
  private readonly prepared = new Map<string, PreparedArticle>();

  constructor(
    private readonly articles: ArticlesRepository,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * The public article as JSON text (an ArticleResponse). One light query reads the counters and
   * the version; the rest comes from the copy prepared when this version was first read.
   */
  async getPublishedJson(reads: ReadContext, slug: string): Promise<string> {
    const current = await this.articles.findPublishedCounters(reads, slug);
    if (!current) {
      throw new NotFoundException('article not found');
    }
    let prepared = this.prepared.get(current.id);
    if (prepared?.version !== current.version) {
      const found = await this.articles.findPublishedWithVersion(reads, slug);
      if (!found) {
        throw new NotFoundException('article not found');
      }
      prepared = prepare(found.article, found.version);
      if (this.prepared.size >= PREPARED_MAX) {
        this.prepared.clear();
      }
      this.prepared.set(found.article.id, prepared);
      if (found.version !== current.version) {
        // Saved in between: the full read is the newer one, counters included.
        return JSON.stringify(toArticleResponse(found.article));
      }
    }
    const blocks = prepared.blocks
      .map((b) => `${b.head}${current.inlineCounts[b.id] ?? 0}}`)
      .join(',');
    return `${prepared.head}${current.commentCount},"blocks":[${blocks}]}`;
  }

  async getPublished(reads: ReadContext, slug: string): Promise<ArticleResponse> {
    const article = await this.articles.findPublishedBySlug(reads, slug);
    if (!article) {
      throw new NotFoundException('article not found');
    }
    return toArticleResponse(article);
  }

  async listPublished(
    reads: ReadContext,
    limit: number,
    cursor?: string,
  ): Promise<Page<ArticleSummaryResponse>> {
    const after = cursor ? decodeCursor(cursor, TIME_ID) : undefined;
    const rows = await this.articles.findPublishedPage(
      reads,
      limit,
      after && { publishedAt: after[0], id: after[1] },
    );
    return page(rows, limit);
  }

  async listAll(limit: number, cursor?: string): Promise<Page<ArticleSummaryResponse>> {
    const after = cursor ? decodeCursor(cursor, TIME_ID) : undefined;
    const rows = await this.articles.findAllPage(
      limit,
      after && { createdAt: after[0], id: after[1] },
    );
    return page(rows, limit);
  }

  async getAny(slug: string): Promise<ArticleResponse> {
    const article = await this.articles.findBySlug(slug);
    if (!article) {
      throw new NotFoundException('article not found');
    }
    return toArticleResponse(article);
  }

  async create(input: CreateArticleDto): Promise<ArticleResponse> {
    const slug = input.slug ?? slugify(input.title);
    if (!slug) {
      throw new ConflictException('a slug cannot be derived from this title; give one');
    }
    const blocks = renderBlocks(input.body);
    const status = input.status ?? 'draft';
    const inserted = await this.articles.insertIfSlugFree({
      slug,
      title: input.title,
      summary: input.summary ?? summarize(blocks),
      author: input.author ?? null,
      bodySource: input.body,
      blocks,
      status,
      publishedAt: status === 'published' ? new Date() : null,
      commentsOpen: input.commentsOpen ?? true,
    });
    if (!inserted) {
      throw new ConflictException(`an article with slug "${slug}" exists already`);
    }
    return this.getAny(slug);
  }

  async update(slug: string, input: UpdateArticleDto): Promise<ArticleResponse> {
    const saved = await this.articles.transaction(async (manager) => {
      const repo = manager.getRepository(ArticleEntity);
      const article = await repo.findOne({ where: { slug }, lock: { mode: 'pessimistic_write' } });
      if (!article) {
        throw new NotFoundException('article not found');
      }
      if (input.slug && input.slug !== slug && (await repo.existsBy({ slug: input.slug }))) {
        throw new ConflictException(`an article with slug "${input.slug}" exists already`);
      }
      const previous = article.blocks;
      if (input.body !== undefined) {
        article.bodySource = input.body;
        article.blocks = renderBlocks(input.body, previous);
      }
      article.title = input.title ?? article.title;
      article.slug = input.slug ?? article.slug;
      article.summary = input.summary ?? article.summary;
      article.author = input.author ?? article.author;
      article.commentsOpen = input.commentsOpen ?? article.commentsOpen;
      if (input.status) {
        article.status = input.status;
        if (input.status === 'published' && !article.publishedAt) {
          article.publishedAt = new Date();
        }
      }
      await repo.save(article);
      if (input.body !== undefined) {
        await emitInTransaction(
          this.events,
          ArticleBlocksChangedEvent.event,
          new ArticleBlocksChangedEvent(article.id, previous, article.blocks, manager),
        );
      }
      return article;
    });
    return this.getAny(saved.slug);
  }
}
