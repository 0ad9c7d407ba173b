import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { ArticleBlock, ArticleStatus } from '../articles/article.entity';
import { slugify } from '../articles/article-blocks';
import { hashPersonal } from '../common/tokens';
import { renderCommentBody } from '../comments/comment-body';
import { AnchorState, Quote } from '../comments/comment.entity';
import { emailHash } from '../comments/post-comment.service';
import { htmlToMarkdown } from './html-to-markdown';
import { count, emptyReport, ImportReport } from './import-report';
import { CommentRow, ImportStore, ThreadPlace } from './import-store';
import { Incoming, placeInThreads } from './threading';
import { childrenNamed, metaOf, XmlRecord, XmlRecordReader } from './xml-records';

export type ImportFormat = 'wxr' | 'disqus';

export interface ImportOptions {
  /** Disqus: create an article for a thread no article matches (otherwise it is reported). */
  createArticles?: boolean;
  runId?: string | null;
  /** Called after every batch, and at least every `progressEveryMs`. */
  onProgress?: (bytesRead: number, report: ImportReport) => void | Promise<void>;
}

/**
 * What our own WXR export adds to a post or comment (JSON in one meta field), so a round trip
 * keeps ids, markdown sources, block ids, anchors and millisecond times that WXR cannot carry.
 */
export const MARGINALIA_META = '_marginalia';

export interface MarginaliaPostMeta {
  id: string;
  bodySource: string;
  blocks: ArticleBlock[];
  publishedAt: string | null;
}

export interface MarginaliaCommentMeta {
  id: string;
  bodySource: string;
  createdAt: string;
  anchor: { blockId: string; quote: Quote | null; state: AnchorState } | null;
}

function ownMeta<T extends { id: string }>(raw: string | undefined): Partial<T> {
  if (!raw) {
    return {};
  }
  try {
    const parsed = JSON.parse(raw) as Partial<T>;
    return parsed &&
      typeof parsed === 'object' &&
      typeof parsed.id === 'string' &&
      UUID.test(parsed.id)
      ? parsed
      : {};
  } catch {
    return {};
  }
}

const BATCH = 500;
const YIELD_EVERY = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_NAME = 80;

interface IncomingComment extends Incoming {
  id: string | null;
  authorName: string;
  authorEmail: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  html: string;
  status: CommentRow['status'];
  autoParagraphs: boolean;
  /** The markdown source when the export carries it (our own WXR). */
  markdown: string | null;
  anchor: MarginaliaCommentMeta['anchor'];
}

/** `2024-03-01 12:00:00` (WordPress, UTC in *_gmt) or ISO 8601 (Disqus). */
export function parseExportDate(...candidates: (string | undefined)[]): Date | null {
  for (const raw of candidates) {
    const value = raw?.trim();
    if (!value || value.startsWith('0000-00-00')) {
      continue;
    }
    const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)
      ? `${value.replace(' ', 'T')}Z`
      : value;
    const date = new Date(iso);
    if (!Number.isNaN(date.getTime())) {
      return date;
    }
  }
  return null;
}

function cleanName(raw: string | undefined): string {
  // Control characters, bidi overrides and line breaks never belong in a name.
  const name = [
    ...(raw ?? '')
      .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  ]
    .slice(0, MAX_NAME)
    .join('');
  return name || 'Anonymous';
}

/** A title: one line, no control or format characters. */
function singleLine(raw: string | undefined): string {
  return storable(raw ?? '')
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function cleanEmail(raw: string | undefined): string {
  const email = (raw ?? '').trim().toLowerCase();
  return email.length <= 254 && /^[^\s@<>"]+@[^\s@<>"]+$/.test(email) ? email : '';
}

/** Text PostgreSQL refuses (NUL) or that cannot be stored faithfully (lone surrogates). */
function storable(text: string): string {
  return text
    .replaceAll('\u0000', '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/**
 * Reads a WordPress (WXR) or Disqus export as a stream and writes what is new: articles, and
 * comments in set-based batches with their threads, dates, authors and states. Idempotent and
 * resumable through the import ledger (import_items): every batch commits with its ledger rows,
 * so a rerun after a crash skips what was written and continues.
 */
export class Importer {
  private readonly store: ImportStore;
  readonly report = emptyReport();
  private reader: XmlRecordReader | null = null;
  /** Articles resolved in this run: external id → local id (null: not imported). */
  private readonly articleIds = new Map<string, string | null>();

  constructor(
    dataSource: DataSource,
    private readonly hashSecret: string,
    private readonly options: ImportOptions = {},
  ) {
    this.store = new ImportStore(dataSource);
  }

  get bytesRead(): number {
    return this.reader?.bytesRead ?? 0;
  }

  async run(format: ImportFormat, input: Readable): Promise<ImportReport> {
    if (format === 'wxr') {
      await this.importWxr(input);
    } else {
      await this.importDisqus(input);
    }
    await this.progress();
    return this.report;
  }

  private async progress(): Promise<void> {
    await this.options.onProgress?.(this.bytesRead, this.report);
  }

  private get runId(): string | null {
    return this.options.runId ?? null;
  }

  // WordPress ---------------------------------------------------------------------------------

  private async importWxr(input: Readable): Promise<void> {
    this.reader = new XmlRecordReader({
      isRecord: (ancestors, name) => name === 'item' && ancestors.length === 2,
      nested: new Set(['wp:comment', 'wp:postmeta', 'wp:commentmeta', 'category']),
      header: new Set(['rss/channel/link', 'rss/channel/wp:base_site_url']),
    });
    let pending: IncomingComment[] = [];
    for await (const item of this.reader.records(input)) {
      const source = `wxr:${this.reader.header['rss/channel/wp:base_site_url'] || this.reader.header['rss/channel/link'] || 'unknown'}`;
      const articleId = await this.wxrArticle(source, item);
      if (articleId) {
        pending.push(...this.wxrComments(item, articleId));
      }
      // A post's comments go in together, so its threads are complete within one batch.
      if (pending.length >= BATCH) {
        await this.writeBatch(source, pending, true);
        pending = [];
      }
    }
    const source = `wxr:${this.reader.header['rss/channel/wp:base_site_url'] || this.reader.header['rss/channel/link'] || 'unknown'}`;
    await this.writeBatch(source, pending, true);
  }

  private async wxrArticle(source: string, item: XmlRecord): Promise<string | null> {
    const f = item.fields;
    const type = f['wp:post_type']?.trim() || 'post';
    if (type !== 'post') {
      count(this.report.skipped, `post type ${type}`);
      return null;
    }
    const externalId = f['wp:post_id']?.trim() || f['guid'] || f['link'] || '';
    if (!externalId) {
      count(this.report.skipped, 'post without an id');
      return null;
    }
    const title = singleLine(f['title']);
    const own = ownMeta<MarginaliaPostMeta>(metaOf(item, 'wp:postmeta').get(MARGINALIA_META));
    return this.resolveArticle(source, externalId, {
      ownId: own.id ?? null,
      slug: f['wp:post_name']?.trim() || slugify(title),
      create: () => ({
        title: title || '(untitled)',
        author: f['dc:creator']?.trim() || null,
        bodySource: storable(
          own.bodySource ?? htmlToMarkdown(f['content:encoded'] ?? '', { autoParagraphs: true }),
        ),
        blocks: Array.isArray(own.blocks) ? own.blocks : [],
        status: f['wp:status']?.trim() === 'publish' ? 'published' : 'draft',
        publishedAt:
          own.id !== undefined
            ? parseExportDate(own.publishedAt ?? undefined)
            : parseExportDate(f['wp:post_date_gmt'], f['wp:post_date'], f['pubDate']),
      }),
    });
  }

  private wxrComments(item: XmlRecord, articleId: string): IncomingComment[] {
    const comments: IncomingComment[] = [];
    for (const c of childrenNamed(item, 'wp:comment')) {
      const f = c.fields;
      const type = f['wp:comment_type']?.trim() ?? '';
      if (type === 'pingback' || type === 'trackback') {
        count(this.report.skipped, type);
        continue;
      }
      const externalId = f['wp:comment_id']?.trim();
      const own = ownMeta<MarginaliaCommentMeta>(metaOf(c, 'wp:commentmeta').get(MARGINALIA_META));
      const createdAt = parseExportDate(
        own.createdAt,
        f['wp:comment_date_gmt'],
        f['wp:comment_date'],
      );
      if (!externalId || !createdAt) {
        count(this.report.skipped, 'comment without an id or a date');
        continue;
      }
      const approved = f['wp:comment_approved']?.trim() ?? '0';
      const status: CommentRow['status'] =
        approved === '1'
          ? 'approved'
          : approved === 'spam'
            ? 'spam'
            : approved === 'trash' || approved === 'post-trashed'
              ? 'trash'
              : 'pending';
      const parent = f['wp:comment_parent']?.trim();
      comments.push({
        externalId,
        parentExternalId: parent && parent !== '0' ? parent : null,
        articleId,
        id: own.id ?? null,
        authorName: cleanName(f['wp:comment_author']),
        authorEmail: cleanEmail(f['wp:comment_author_email']),
        ip: f['wp:comment_author_IP']?.trim() || null,
        userAgent: f['wp:comment_agent']?.trim().slice(0, 500) || null,
        createdAt,
        html: f['wp:comment_content'] ?? '',
        status,
        autoParagraphs: true,
        markdown: typeof own.bodySource === 'string' ? own.bodySource : null,
        anchor: own.anchor ?? null,
      });
    }
    return comments;
  }

  // Disqus ------------------------------------------------------------------------------------

  private async importDisqus(input: Readable): Promise<void> {
    this.reader = new XmlRecordReader({
      isRecord: (ancestors, name) =>
        ancestors.length === 1 && (name === 'thread' || name === 'post' || name === 'category'),
      nested: new Set(),
    });
    const threads = new Map<
      string,
      { link: string; title: string; ident: string; createdAt: string }
    >();
    let source = 'disqus:unknown';
    let batch: IncomingComment[] = [];
    let waiting: IncomingComment[] = [];
    for await (const record of this.reader.records(input)) {
      const f = record.fields;
      const dsqId = record.attrs['dsq:id'] ?? '';
      if (record.name === 'category') {
        source = `disqus:${f['forum']?.trim() || 'unknown'}`;
        continue;
      }
      if (record.name === 'thread') {
        source = f['forum']?.trim() ? `disqus:${f['forum'].trim()}` : source;
        threads.set(dsqId, {
          link: f['link']?.trim() ?? '',
          title: singleLine(f['title']),
          ident: f['id']?.trim() ?? '',
          createdAt: f['createdAt'] ?? '',
        });
        continue;
      }
      const threadId = f['thread@dsq:id'] ?? '';
      const articleId = await this.disqusArticle(source, threadId, threads.get(threadId));
      if (!articleId) {
        continue;
      }
      const createdAt = parseExportDate(f['createdAt']);
      if (!dsqId || !createdAt) {
        count(this.report.skipped, 'post without an id or a date');
        continue;
      }
      const flag = (name: string) => f[name]?.trim() === 'true';
      batch.push({
        externalId: dsqId,
        parentExternalId: f['parent@dsq:id'] || null,
        articleId,
        id: null,
        authorName: cleanName(f['author/name'] || f['author/username']),
        authorEmail: cleanEmail(f['author/email']),
        ip: f['ipAddress']?.trim() || null,
        userAgent: null,
        createdAt,
        html: f['message'] ?? '',
        status: flag('isSpam') ? 'spam' : flag('isDeleted') ? 'trash' : 'approved',
        autoParagraphs: false,
        markdown: null,
        anchor: null,
      });
      if (batch.length >= BATCH) {
        waiting.push(...(await this.writeBatch(source, batch, false)));
        batch = [];
      }
    }
    waiting.push(...(await this.writeBatch(source, batch, false)));
    // Replies that came before their parents: again until no more find one, then as top-level.
    for (let before = Infinity; waiting.length > 0 && waiting.length < before;) {
      before = waiting.length;
      const again = waiting;
      waiting = [];
      for (let i = 0; i < again.length; i += BATCH) {
        waiting.push(...(await this.writeBatch(source, again.slice(i, i + BATCH), false)));
      }
    }
    for (let i = 0; i < waiting.length; i += BATCH) {
      await this.writeBatch(source, waiting.slice(i, i + BATCH), true);
    }
  }

  private async disqusArticle(
    source: string,
    threadId: string,
    thread: { link: string; title: string; ident: string; createdAt: string } | undefined,
  ): Promise<string | null> {
    if (!thread) {
      count(this.report.skipped, 'post of an unknown thread');
      return null;
    }
    const slug = disqusSlug(thread.link, thread.ident);
    const before = this.articleIds.has(threadId);
    const id = await this.resolveArticle(source, threadId, {
      ownId: null,
      slug,
      create: this.options.createArticles
        ? () => ({
            title: thread.title || slug || '(untitled)',
            author: null,
            bodySource: thread.link
              ? `Comments imported from <${thread.link}>.`
              : 'Imported comments.',
            status: 'published',
            publishedAt: parseExportDate(thread.createdAt),
          })
        : null,
    });
    if (!id) {
      count(this.report.skipped, 'post of an unmatched thread');
      if (!before && this.report.unmatchedThreads.length < 100) {
        this.report.unmatchedThreads.push({ id: threadId, link: thread.link, title: thread.title });
      }
    }
    return id;
  }

  // Shared ------------------------------------------------------------------------------------

  /**
   * The article an exported post or thread stands for: imported before (the ledger), our own id
   * (a round trip), an article with its slug, or a new one when `create` is given.
   */
  private async resolveArticle(
    source: string,
    externalId: string,
    how: {
      ownId: string | null;
      slug: string;
      create:
        | (() => {
            title: string;
            author: string | null;
            bodySource: string;
            blocks?: ArticleBlock[];
            status: ArticleStatus;
            publishedAt: Date | null;
          })
        | null;
    },
  ): Promise<string | null> {
    const cached = this.articleIds.get(externalId);
    if (cached !== undefined) {
      return cached;
    }
    let id = (await this.store.mapped(source, 'article', [externalId])).get(externalId) ?? null;
    if (!id) {
      const matched =
        (how.ownId && (await this.store.articleIdById(how.ownId))) ||
        (how.slug && (await this.store.articleIdBySlug(slugify(how.slug) || how.slug)));
      if (matched) {
        await this.store.remember(source, 'article', externalId, matched, this.runId);
        this.report.articles.matched += 1;
        id = matched;
      } else if (how.create) {
        id = await this.store.createArticle(
          source,
          externalId,
          { id: how.ownId ?? undefined, slug: how.slug, ...how.create() },
          this.runId,
        );
        this.report.articles.created += 1;
      }
    }
    this.articleIds.set(externalId, id);
    // A run holds the ids of the articles it met; an export has thousands, not millions.
    return id;
  }

  /**
   * Writes the new comments of a batch; returns those whose parent was not found (only when
   * `orphansToTop` is false: Disqus lists a reply before its parent at times).
   */
  private async writeBatch(
    source: string,
    batch: IncomingComment[],
    orphansToTop: boolean,
  ): Promise<IncomingComment[]> {
    if (batch.length === 0) {
      return [];
    }
    const externalIds = [...new Set(batch.map((c) => c.externalId))];
    const parentIds = [
      ...new Set(batch.map((c) => c.parentExternalId).filter((p): p is string => p !== null)),
    ];
    const [done, parents] = await Promise.all([
      this.store.mapped(source, 'comment', externalIds),
      this.store.mapped(source, 'comment', parentIds),
    ]);
    const ownIds = batch.map((c) => c.id).filter((id): id is string => id !== null);
    const existingOwn = await this.store.existingCommentIds(ownIds);
    const fresh: { item: IncomingComment; id: string }[] = [];
    const seen = new Set<string>();
    for (const c of batch) {
      if (done.has(c.externalId) || (c.id && existingOwn.has(c.id)) || seen.has(c.externalId)) {
        this.report.comments.alreadyImported += 1;
        continue;
      }
      seen.add(c.externalId);
      fresh.push({ item: c, id: c.id ?? ImportStore.newId() });
    }
    const places = await this.store.places([...parents.values()]);
    const known = new Map<string, ThreadPlace>();
    for (const [ext, local] of parents) {
      const place = places.get(local);
      if (place) {
        known.set(ext, { ...place, path: asUuidArray(place.path) });
      }
    }
    const { placed, waiting } = placeInThreads(fresh, known, this.report, orphansToTop);
    const rows: CommentRow[] = [];
    for (const [n, { item, id, place, parentId }] of placed.entries()) {
      // Rendering is CPU work: let the event loop turn (timers, the app's requests) meanwhile.
      if (n > 0 && n % YIELD_EVERY === 0) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const original = storable(item.html);
      const bodySource =
        item.markdown !== null
          ? storable(item.markdown)
          : htmlToMarkdown(original, { autoParagraphs: item.autoParagraphs });
      const rendered = renderCommentBody(bodySource);
      rows.push({
        id,
        externalId: item.externalId,
        articleId: item.articleId,
        parentId,
        rootId: place.rootId,
        depth: place.depth,
        path: place.path,
        authorName: storable(item.authorName),
        authorEmail: item.authorEmail,
        authorEmailHash: item.authorEmail
          ? emailHash(item.authorEmail, this.hashSecret)
          : `imported:${id}`,
        bodySource,
        bodyHtml: rendered.html,
        renderVersion: rendered.renderVersion,
        originalHtml: original,
        status: item.status,
        ipHash: item.ip ? hashPersonal(`ip:${item.ip}`, this.hashSecret) : null,
        userAgent: item.userAgent ? storable(item.userAgent) : null,
        createdAt: item.createdAt,
        // Only a top-level comment may carry an anchor (a constraint says so).
        anchor: parentId === null ? item.anchor : null,
      });
    }
    const written = await this.store.insertComments(source, rows, this.runId);
    this.report.comments.imported += written;
    this.report.comments.alreadyImported += rows.length - written;
    await this.progress();
    return waiting;
  }
}

/** pg answers uuid[] as an array; some drivers as its text form. */
function asUuidArray(value: string[] | string): string[] {
  if (Array.isArray(value)) {
    return value;
  }
  const inner = value.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',') : [];
}

/** The article slug a Disqus thread points at: its identifier, or the last segment of its URL. */
export function disqusSlug(link: string, identifier: string): string {
  if (/^[a-z0-9]+(-[a-z0-9]+)*$/.test(identifier)) {
    return identifier;
  }
  try {
    const segments = new URL(link).pathname.split('/').filter(Boolean);
    return slugify(decodeURIComponent(segments[segments.length - 1] ?? '')) || slugify(identifier);
  } catch {
    return slugify(identifier);
  }
}
