import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../database/transactions';
import { emailHash } from '../comments/post-comment.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { emailKey } from '../mail/email-address';

export interface PersonExport {
  email: string;
  comments: {
    id: string;
    articleSlug: string;
    authorName: string;
    body: string;
    status: string;
    createdAt: string;
    editedAt: string | null;
    ipHash: string | null;
    userAgent: string | null;
  }[];
  subscriptions: {
    id: string;
    kind: string;
    status: string;
    articleSlug: string | null;
    createdAt: string;
    confirmedAt: string | null;
    unsubscribedAt: string | null;
    consent: { at: string; ip: string | null; userAgent: string | null; source: string };
  }[];
  emails: { id: string; template: string; stream: string; status: string; createdAt: string }[];
  suppression: { reason: string; at: string } | null;
}

const ERASED_NAME = 'Anonymous';

type Row = Record<string, unknown>;

/**
 * Data rights for one address: everything held about it, and its erasure. Comments are matched
 * by the keyed address hash, subscriptions, suppressions and mail by the lower-cased address.
 */
@Injectable()
export class PeopleService {
  private readonly logger = new Logger('DataRights');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async export(email: string): Promise<PersonExport> {
    const hash = emailHash(email, this.config.hashSecret);
    const key = emailKey(email);
    const db = this.dataSource.manager;
    const [comments, subscriptions, emails, suppressions] = await Promise.all([
      db.query<Row[]>(
        `SELECT c.id, a.slug, c.author_name, c.body_source, c.status, c.created_at, c.edited_at,
                c.ip_hash, c.user_agent
         FROM comments c JOIN articles a ON a.id = c.article_id
         WHERE c.author_email_hash = $1 ORDER BY c.created_at, c.id`,
        [hash],
      ),
      db.query<Row[]>(
        `SELECT s.*, a.slug FROM subscriptions s LEFT JOIN articles a ON a.id = s.article_id
         WHERE s.email_key = $1 ORDER BY s.created_at, s.id`,
        [key],
      ),
      db.query<Row[]>(
        `SELECT id, template, stream, status, created_at FROM email_outbox
         WHERE lower(recipient) = $1 ORDER BY created_at, id`,
        [key],
      ),
      db.query<Row[]>('SELECT reason, created_at FROM suppressions WHERE email_key = $1', [key]),
    ]);
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
    return {
      email: key,
      comments: comments.map((c) => ({
        id: String(c.id),
        articleSlug: String(c.slug),
        authorName: String(c.author_name),
        body: String(c.body_source),
        status: String(c.status),
        createdAt: iso(c.created_at)!,
        editedAt: iso(c.edited_at),
        ipHash: (c.ip_hash as string | null) ?? null,
        userAgent: (c.user_agent as string | null) ?? null,
      })),
      subscriptions: subscriptions.map((s) => ({
        id: String(s.id),
        kind: String(s.kind),
        status: String(s.status),
        articleSlug: (s.slug as string | null) ?? null,
        createdAt: iso(s.created_at)!,
        confirmedAt: iso(s.confirmed_at),
        unsubscribedAt: iso(s.unsubscribed_at),
        consent: {
          at: iso(s.consent_at)!,
          ip: (s.consent_ip as string | null) ?? null,
          userAgent: (s.consent_user_agent as string | null) ?? null,
          source: String(s.consent_source),
        },
      })),
      emails: emails.map((e) => ({
        id: String(e.id),
        template: String(e.template),
        stream: String(e.stream),
        status: String(e.status),
        createdAt: iso(e.created_at)!,
      })),
      suppression: suppressions[0]
        ? { reason: String(suppressions[0].reason), at: iso(suppressions[0].created_at)! }
        : null,
    };
  }

  /**
   * Erases an address in one transaction: its comments stay (the conversation keeps its shape)
   * but lose name, address, ip hash and user agent; its subscriptions and unsent mail are deleted,
   * sent mail forgets the recipient; and the address is suppressed so nothing mails it again.
   */
  async erase(email: string, within?: EntityManager): Promise<void> {
    const hash = emailHash(email, this.config.hashSecret);
    const key = emailKey(email);
    const work = async (manager: EntityManager) => {
      const comments: unknown[] = await manager.query(
        `UPDATE comments SET author_name = $2, author_email = 'erased@invalid.invalid',
           author_email_hash = 'erased:' || id, ip_hash = NULL, user_agent = NULL, notify = 'none'
         WHERE author_email_hash = $1 RETURNING id`,
        [hash, ERASED_NAME],
      );
      const subscriptions: unknown[] = await manager.query(
        'DELETE FROM subscriptions WHERE email_key = $1 RETURNING id',
        [key],
      );
      await manager.query(
        `DELETE FROM email_outbox
         WHERE lower(recipient) = $1 AND status NOT IN ('sent', 'sending', 'claimed')`,
        [key],
      );
      await manager.query(
        `UPDATE email_outbox SET recipient = 'erased@invalid.invalid', payload = '{}'
         WHERE lower(recipient) = $1 AND status = 'sent'`,
        [key],
      );
      await manager.query(
        `INSERT INTO suppressions (email_key, reason, detail) VALUES ($1, 'erased', 'data erasure')
         ON CONFLICT (email_key) DO UPDATE SET reason = 'erased', detail = 'data erasure'`,
        [key],
      );
      return { comments: comments.length, subscriptions: subscriptions.length };
    };
    // Inside the caller's transaction when given one (a reader's own request spends its link
    // in the same transaction).
    const counts = await (within ? work(within) : inTransaction(this.dataSource, work));
    this.logger.log(
      `erased an address: ${counts.comments} comments anonymized, ${counts.subscriptions} subscriptions removed`,
    );
  }
}
