import { createHash } from 'node:crypto';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ReadContext } from '../database/read-context';
import { ReadReplica } from '../database/read-replica';
import { renderAtom } from './atom';

export const FEED_SIZE = 50;

interface FeedRow {
  id: string;
  author_name: string;
  body_html: string;
  created_at: Date;
  edited_at: Date | null;
  slug: string;
  title: string;
}

export interface RenderedFeed {
  body: string;
  etag: string;
}

/** Atom feeds of approved comments: the newest FEED_SIZE, site-wide or of one article. */
@Injectable()
export class FeedsService {
  constructor(
    private readonly replica: ReadReplica,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Feeds are public reads: the replica serves them while it keeps up (see ReadReplica). */
  private query<T>(reads: ReadContext, sql: string, params: unknown[] = []): Promise<T> {
    return this.replica.publicRead(reads, (db: DataSource) => db.query<T>(sql, params));
  }

  async siteFeed(reads: ReadContext): Promise<RenderedFeed> {
    // comments_pending_idx does not serve this; a scan of approved comments by time does.
    const rows: FeedRow[] = await this.query(
      reads,
      `SELECT c.id, c.author_name, c.body_html, c.created_at, c.edited_at, a.slug, a.title
         FROM comments c JOIN articles a ON a.id = c.article_id
        WHERE c.status = 'approved' AND a.status = 'published'
        ORDER BY c.created_at DESC, c.id DESC LIMIT $1`,
      [FEED_SIZE],
    );
    const base = this.config.publicUrl;
    return this.render(rows, {
      id: `${base}/feed/comments.atom`,
      title: 'Marginalia: latest comments',
      selfUrl: `${base}/feed/comments.atom`,
      alternateUrl: `${base}/`,
      fallbackUpdated: new Date(0),
    });
  }

  async articleFeed(reads: ReadContext, slug: string): Promise<RenderedFeed> {
    const articles: { id: string; title: string; published_at: Date }[] = await this.query(
      reads,
      `SELECT id, title, published_at FROM articles WHERE slug = $1 AND status = 'published'`,
      [slug],
    );
    const article = articles[0];
    if (!article) {
      throw new NotFoundException('article not found');
    }
    // comments_thread_time_idx covers top-level comments; replies come by article too.
    const rows: FeedRow[] = await this.query(
      reads,
      `SELECT c.id, c.author_name, c.body_html, c.created_at, c.edited_at,
              $2::text AS slug, $3::text AS title
         FROM comments c
        WHERE c.article_id = $1 AND c.status = 'approved'
        ORDER BY c.created_at DESC, c.id DESC LIMIT $4`,
      [article.id, slug, article.title, FEED_SIZE],
    );
    const base = this.config.publicUrl;
    return this.render(rows, {
      id: `${base}/articles/${slug}/comments.atom`,
      title: `Comments on “${article.title}”`,
      selfUrl: `${base}/articles/${slug}/comments.atom`,
      alternateUrl: `${base}/articles/${slug}`,
      fallbackUpdated: article.published_at,
    });
  }

  private render(
    rows: FeedRow[],
    feed: {
      id: string;
      title: string;
      selfUrl: string;
      alternateUrl: string;
      fallbackUpdated: Date;
    },
  ): RenderedFeed {
    const base = this.config.publicUrl;
    const entries = rows.map((r) => ({
      // A comment's id never changes, so neither does its entry's (RFC 4287 §4.2.6).
      id: `urn:uuid:${r.id}`,
      title: `${r.author_name} on “${r.title}”`,
      link: `${base}/articles/${r.slug}#comment-${r.id}`,
      authorName: r.author_name,
      html: r.body_html,
      published: r.created_at,
      updated: r.edited_at ?? r.created_at,
    }));
    const updated = entries.reduce(
      (latest, e) => (e.updated > latest ? e.updated : latest),
      feed.fallbackUpdated,
    );
    const body = renderAtom({ ...feed, updated, entries });
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    return { body, etag };
  }
}
