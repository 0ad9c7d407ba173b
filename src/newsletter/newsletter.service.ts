import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import MarkdownIt from 'markdown-it';
import { DataSource } from 'typeorm';
import { PRIMARY_READS } from '../database/read-context';
import { inTransaction } from '../database/transactions';
import { ArticlesRepository } from '../articles/articles.repository';
import { RateLimiter, RateRule } from '../common/rate-limit';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MailOutbox } from '../mail/mail-outbox.service';
import { MailRenderer } from '../mail/mail-renderer.service';
import { MailTemplateData } from '../mail/mail-templates';
import { SubscriptionsService } from '../subscriptions/subscriptions.service';
import {
  NewsletterIssueDetail,
  NewsletterIssueDto,
  NewsletterIssueResponse,
  SignupSource,
  toNewsletterIssueDetail,
} from './dto/newsletter.dto';
import { NewsletterIssuesRepository } from './newsletter-issues.repository';

/** The wording next to the consent box; bump it when the text in newsletter-box.hbs changes. */
export const NEWSLETTER_CONSENT_VERSION = 'newsletter-box-2026-11';

/** Recipients queued per transaction: 10,000 subscribers never need one huge transaction. */
export const ISSUE_BATCH_SIZE = 1000;

export interface NewsletterPreview {
  subject: string;
  html: string;
  text: string;
  recipients: number;
}

export interface NewsletterIssueSummary {
  id: string;
  subject: string;
  recipients: number;
  createdAt: string;
  createdBy: string | null;
}

export interface NewsletterProgress extends NewsletterIssueSummary {
  byStatus: Record<string, number>;
  total: number;
  done: boolean;
}

const SIGNUP_PER_IP: RateRule = {
  name: 'newsletter:ip',
  limit: 20,
  windowSeconds: 3600,
  per: 'network',
};
const SIGNUP_PER_ADDRESS: RateRule = {
  name: 'newsletter:address',
  limit: 5,
  windowSeconds: 3600,
  per: 'mailbox',
};

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

@Injectable()
export class NewsletterService {
  private readonly logger = new Logger('Newsletter');
  // Raw HTML off: the body is markdown only; markdown-it also refuses javascript: and data: links.
  private readonly markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly outbox: MailOutbox,
    private readonly renderer: MailRenderer,
    private readonly articles: ArticlesRepository,
    private readonly issues: NewsletterIssuesRepository,
    private readonly rateLimiter: RateLimiter,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Answers nothing about the address; rate-limited per client and per target address. */
  async signup(input: {
    email: string;
    name?: string;
    source: SignupSource;
    ip: string | null;
    userAgent: string | null;
  }): Promise<void> {
    await this.rateLimiter.consume([
      { rule: SIGNUP_PER_IP, subject: input.ip },
      { rule: SIGNUP_PER_ADDRESS, subject: input.email },
    ]);
    await this.subscriptions.request({
      kind: 'newsletter',
      email: input.email,
      name: input.name ?? null,
      consent: {
        ip: input.ip,
        userAgent: input.userAgent,
        source: input.source,
        textVersion: NEWSLETTER_CONSENT_VERSION,
      },
    });
  }

  async getIssue(id: string): Promise<NewsletterIssueDetail> {
    const issue = await this.issues.findById(id);
    if (!issue) {
      throw new NotFoundException('newsletter issue not found');
    }
    return toNewsletterIssueDetail(issue, await this.outbox.countsForNewsletterIssue(id));
  }

  /**
   * One outbox row per confirmed subscriber, queued in keyset batches of ISSUE_BATCH_SIZE, each
   * its own transaction; each mail gets its recipient's own unsubscribe link when it is sent.
   */
  async queueIssue(
    input: NewsletterIssueDto,
    admin: string | null,
  ): Promise<NewsletterIssueResponse> {
    if ((input.body === undefined) === (input.articleSlug === undefined)) {
      throw new BadRequestException('send either body or articleSlug');
    }
    const { data, articleId } = await this.issueContent(input);
    const issue = await this.issues.create({
      subject: input.subject,
      bodyMarkdown: input.body ?? null,
      articleId,
      createdBy: admin,
    });
    let recipients = 0;
    let after: string | null = null;
    for (;;) {
      const batch = await inTransaction(this.dataSource, async (m) => {
        const subscribers = await this.subscriptions.confirmedNewsletterBatch(
          m,
          after,
          ISSUE_BATCH_SIZE,
        );
        const queued = await this.outbox.enqueueMany(
          m,
          { stream: 'newsletter', template: 'newsletter-issue', data },
          subscribers.map((s) => ({
            key: `newsletter:${issue.id}:${s.id}`,
            to: s.email,
            subscriptionId: s.id,
          })),
        );
        return { last: subscribers.at(-1)?.id ?? null, size: subscribers.length, queued };
      });
      recipients += batch.queued;
      after = batch.last;
      if (batch.size < ISSUE_BATCH_SIZE) {
        break;
      }
    }
    await this.issues.markQueued(issue.id, recipients);
    this.logger.log(`issue ${issue.id} queued for ${recipients} subscribers`);
    return { id: issue.id, recipients };
  }

  /**
   * The mail exactly as a subscriber will get it (HTML and text), with a sample unsubscribe link,
   * and how many confirmed subscribers it would go to now. Queues nothing.
   */
  async preview(input: NewsletterIssueDto): Promise<NewsletterPreview> {
    if ((input.body === undefined) === (input.articleSlug === undefined)) {
      throw new BadRequestException('send either body or articleSlug');
    }
    const { data } = await this.issueContent(input);
    const mail = this.renderer.render(
      'newsletter-issue',
      data,
      `${this.config.publicUrl}/unsubscribe?token=preview`,
    );
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::integer AS n FROM subscriptions
       WHERE kind = 'newsletter' AND status = 'confirmed'`,
    );
    return { subject: mail.subject, html: mail.html, text: mail.text, recipients: rows[0].n };
  }

  /** Recent issues, newest first. */
  async recentIssues(limit = 20): Promise<NewsletterIssueSummary[]> {
    const rows: {
      id: string;
      subject: string;
      recipients: number;
      created_at: Date;
      created_by: string | null;
    }[] = await this.dataSource.query(
      `SELECT id, subject, recipients, created_at, created_by FROM newsletter_issues
         ORDER BY created_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      subject: r.subject,
      recipients: r.recipients,
      createdAt: new Date(r.created_at).toISOString(),
      createdBy: r.created_by,
    }));
  }

  /** One issue and its mails by outbox status (the API's issue detail), and whether all are final. */
  async progress(id: string): Promise<NewsletterProgress> {
    const issue = await this.getIssue(id);
    const total = Object.values(issue.emails).reduce((sum, n) => sum + n, 0);
    const finished = issue.emails.sent + issue.emails.dead + issue.emails.ambiguous;
    return {
      id: issue.id,
      subject: issue.subject,
      recipients: issue.recipients,
      createdAt: issue.createdAt,
      createdBy: issue.createdBy,
      byStatus: issue.emails,
      total,
      done: total > 0 && finished === total,
    };
  }

  private async issueContent(
    input: NewsletterIssueDto,
  ): Promise<{ data: MailTemplateData['newsletter-issue']; articleId: string | null }> {
    if (input.articleSlug !== undefined) {
      const article = await this.articles.findPublishedBySlug(PRIMARY_READS, input.articleSlug);
      if (!article) {
        throw new UnprocessableEntityException('articleSlug names no published article');
      }
      const articleUrl = `${this.config.publicUrl}/articles/${article.slug}`;
      return {
        articleId: article.id,
        data: {
          subject: input.subject,
          bodyHtml: this.renderer.inlineFragment(
            `<h2>${escapeHtml(article.title)}</h2>\n<p>${escapeHtml(article.summary)}</p>`,
          ),
          bodyText: `${article.title}\n\n${article.summary}`,
          articleUrl,
        },
      };
    }
    const body = input.body!;
    return {
      articleId: null,
      data: {
        subject: input.subject,
        bodyHtml: this.renderer.inlineFragment(this.markdown.render(body)),
        bodyText: body,
        articleUrl: null,
      },
    };
  }
}
