import { randomUUID } from 'node:crypto';
import { GoneException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { SubscriptionConfirmedInTx } from './subscription.events';
import { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../database/transactions';
import { ArticleEntity } from '../articles/article.entity';
import { mailboxKey } from '../common/client-keys';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { Page } from '../common/list.dto';
import { hashToken, newToken } from '../common/tokens';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { canonicalEmail, emailKey } from '../mail/email-address';
import { MailOutbox } from '../mail/mail-outbox.service';
import { SubscriptionKind } from '../mail/mail-templates';
import { MailBouncedEvent } from '../mail/mail.events';
import { UnsubscribeLinks } from '../mail/unsubscribe-links';
import { SubscriptionResponse, toSubscriptionResponse } from './dto/subscription.dto';
import { SubscriptionStatus } from './subscription.entity';
import { SubscriptionsRepository } from './subscriptions.repository';

export const CONFIRM_TOKEN_HOURS = 72;
/** Confirmation mails one address may receive per day, whoever asks and for whatever. */
export const CONFIRMATION_MAILS_PER_DAY = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ConsentRecord {
  ip: string | null;
  userAgent: string | null;
  /** Where the request came from, e.g. "newsletter-box", "api", "comment-form". */
  source: string;
  /** Which consent wording the person saw. */
  textVersion: string;
}

export interface SubscriptionRequest {
  kind: SubscriptionKind;
  email: string;
  /** Required for followups and replies, absent for the newsletter. */
  articleId?: string | null;
  name?: string | null;
  consent: ConsentRecord;
}

export interface SubscriptionOutcome {
  status: SubscriptionStatus;
  kind: SubscriptionKind;
}

/** What a confirm or unsubscribe page may show before anything is posted. */
export type TokenState = 'pending' | 'confirmed' | 'expired' | 'unsubscribed' | 'unknown';

/**
 * Every opt-in (newsletter, follow-ups, replies): request, confirm, unsubscribe. Nothing it
 * answers reveals whether an address is subscribed; the confirmation goes through the outbox in
 * the same transaction as the subscription change.
 */
export interface TokenLookup {
  state: TokenState;
  kind?: SubscriptionKind;
  article?: { title: string; slug: string } | null;
}

@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly outbox: MailOutbox,
    private readonly links: UnsubscribeLinks,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * Records the request and queues a confirmation mail, unless the address is suppressed,
   * already confirmed for this scope, or has had its daily share of confirmation mails. Answers
   * nothing either way. Pass `manager` to run inside the caller's transaction.
   */
  async request(input: SubscriptionRequest, manager?: EntityManager): Promise<void> {
    const id = randomUUID();
    // Derived before the transaction: it may read the key, and PGlite has one connection.
    const unsubscribeTokenHash = hashToken(await this.links.tokenFor(id));
    const work = (m: EntityManager) => this.requestIn(m, input, id, unsubscribeTokenHash);
    await (manager ? work(manager) : inTransaction(this.dataSource, work));
  }

  private async requestIn(
    m: EntityManager,
    input: SubscriptionRequest,
    newId: string,
    unsubscribeTokenHash: string,
  ): Promise<void> {
    const email = canonicalEmail(input.email);
    const key = emailKey(email);
    const articleId = input.kind === 'newsletter' ? null : (input.articleId ?? null);
    if (input.kind !== 'newsletter' && !articleId) {
      throw new Error(`a ${input.kind} subscription needs an article`);
    }
    // The mailbox first (the confirmation cap is counted per mailbox), then the address.
    await this.subscriptions.lockAddress(m, `mailbox:${mailboxKey(email)}`);
    await this.subscriptions.lockAddress(m, key);
    if (await this.outbox.isSuppressed(email, m)) {
      return;
    }
    const existing = await this.subscriptions.findScoped(m, input.kind, key, articleId);
    if (existing && (existing.status === 'confirmed' || existing.status === 'bounced')) {
      return;
    }
    const now = new Date();
    const sent = await this.outbox.countRecent(
      m,
      email,
      'confirm-subscription',
      new Date(now.getTime() - DAY_MS),
    );
    const token = sent < CONFIRMATION_MAILS_PER_DAY ? newToken() : null;
    const confirmation = token
      ? {
          confirmTokenHash: hashToken(token),
          confirmExpiresAt: new Date(now.getTime() + CONFIRM_TOKEN_HOURS * 60 * 60 * 1000),
        }
      : {};
    const consent = {
      consentAt: now,
      consentIp: input.consent.ip,
      consentUserAgent: input.consent.userAgent?.slice(0, 500) ?? null,
      consentSource: input.consent.source,
      consentTextVersion: input.consent.textVersion,
    };
    const id = existing?.id ?? newId;
    if (existing) {
      await this.subscriptions.update(m, id, {
        status: 'pending',
        unsubscribedAt: null,
        name: input.name ?? existing.name,
        ...consent,
        ...confirmation,
      });
    } else {
      await this.subscriptions.insert(m, {
        id,
        kind: input.kind,
        email,
        emailKey: key,
        articleId,
        name: input.name ?? null,
        status: 'pending',
        unsubscribeTokenHash,
        confirmTokenHash: null,
        confirmExpiresAt: null,
        ...consent,
        ...confirmation,
      });
    }
    if (!token) {
      return;
    }
    const article = articleId
      ? await m.getRepository(ArticleEntity).findOneBy({ id: articleId })
      : null;
    await this.outbox.enqueue(m, {
      key: `confirm:${id}:${hashToken(token).slice(0, 16)}`,
      stream: 'transactional',
      template: 'confirm-subscription',
      to: email,
      subscriptionId: id,
      data: {
        kind: input.kind,
        email,
        confirmUrl: `${this.config.publicUrl}/confirm?token=${token}`,
        expiresInHours: CONFIRM_TOKEN_HOURS,
        articleTitle: article?.title ?? null,
        articleUrl: article ? `${this.config.publicUrl}/articles/${article.slug}` : null,
      },
    });
  }

  /** 200 again when already confirmed; 410 when expired; 404 when unknown or withdrawn. */
  async confirm(
    token: string,
    context: { ip: string | null; userAgent: string | null },
  ): Promise<SubscriptionOutcome> {
    return inTransaction(this.dataSource, async (m) => {
      const subscription = await this.subscriptions.findByConfirmHash(hashToken(token), m);
      if (!subscription || !['pending', 'confirmed'].includes(subscription.status)) {
        throw new NotFoundException('unknown confirmation link');
      }
      if (subscription.status === 'confirmed') {
        return { status: 'confirmed', kind: subscription.kind };
      }
      if (!subscription.confirmExpiresAt || subscription.confirmExpiresAt.getTime() < Date.now()) {
        throw new GoneException('this confirmation link has expired');
      }
      const confirmedAt = new Date();
      await this.subscriptions.update(m, subscription.id, {
        status: 'confirmed',
        confirmedAt,
        confirmIp: context.ip,
        confirmUserAgent: context.userAgent?.slice(0, 500) ?? null,
      });
      await this.events.emitAsync(
        SubscriptionConfirmedInTx.event,
        new SubscriptionConfirmedInTx(
          {
            id: subscription.id,
            kind: subscription.kind,
            email: subscription.email,
            articleId: subscription.articleId,
            confirmedAt,
          },
          m,
        ),
      );
      return { status: 'confirmed', kind: subscription.kind };
    });
  }

  /** From the expired-link page: the same request again, under the same daily cap. */
  async resendConfirmation(
    token: string,
    context: { ip: string | null; userAgent: string | null },
  ): Promise<void> {
    const subscription = await this.subscriptions.findByConfirmHash(hashToken(token));
    if (!subscription || subscription.status !== 'pending') {
      return;
    }
    await this.request({
      kind: subscription.kind,
      email: subscription.email,
      articleId: subscription.articleId,
      consent: {
        ip: context.ip,
        userAgent: context.userAgent,
        source: 'confirm-resend',
        textVersion: subscription.consentTextVersion,
      },
    });
  }

  /** Ends exactly the subscription the token belongs to; repeating it changes nothing. */
  async unsubscribe(token: string): Promise<SubscriptionOutcome> {
    return inTransaction(this.dataSource, async (m) => {
      const subscription = await this.subscriptions.findByUnsubscribeHash(hashToken(token), m);
      if (!subscription) {
        throw new NotFoundException('unknown unsubscribe link');
      }
      if (subscription.status === 'pending' || subscription.status === 'confirmed') {
        await this.subscriptions.update(m, subscription.id, {
          status: 'unsubscribed',
          unsubscribedAt: new Date(),
          // An old confirmation link must not bring the subscription back.
          confirmTokenHash: null,
          confirmExpiresAt: null,
        });
        await this.outbox.skipUnsentForSubscription(m, subscription.id);
        return { status: 'unsubscribed', kind: subscription.kind };
      }
      return { status: subscription.status, kind: subscription.kind };
    });
  }

  /**
   * "Stop all mail about this article": every subscription of the token's address on the token's
   * article ends (for a newsletter token, just that one). Idempotent.
   */
  async unsubscribeArticle(token: string): Promise<{ articleId: string | null }> {
    return inTransaction(this.dataSource, async (m) => {
      const subscription = await this.subscriptions.findByUnsubscribeHash(hashToken(token), m);
      if (!subscription) {
        throw new NotFoundException('unknown unsubscribe link');
      }
      await this.subscriptions.lockAddress(m, subscription.emailKey);
      let ids = [subscription.id];
      if (subscription.articleId) {
        ids = await this.subscriptions.unsubscribeAddress(
          m,
          subscription.emailKey,
          subscription.articleId,
        );
      } else if (subscription.status === 'pending' || subscription.status === 'confirmed') {
        await this.subscriptions.update(m, subscription.id, {
          status: 'unsubscribed',
          unsubscribedAt: new Date(),
          confirmTokenHash: null,
          confirmExpiresAt: null,
        });
      }
      for (const id of ids) {
        await this.outbox.skipUnsentForSubscription(m, id);
      }
      return { articleId: subscription.articleId };
    });
  }

  /**
   * "Stop all mail from this site": the address is suppressed (nothing is sent to it again, and
   * what is queued is withdrawn) and each of its subscriptions ends. Idempotent.
   */
  async stopAllMail(token: string): Promise<void> {
    await inTransaction(this.dataSource, async (m) => {
      const subscription = await this.subscriptions.findByUnsubscribeHash(hashToken(token), m);
      if (!subscription) {
        throw new NotFoundException('unknown unsubscribe link');
      }
      await this.subscriptions.lockAddress(m, subscription.emailKey);
      await this.subscriptions.unsubscribeAddress(m, subscription.emailKey, null);
      await this.outbox.suppressByRequest(m, subscription.email);
    });
  }

  /** Confirmed newsletter subscribers in id order, one batch, inside the caller's transaction. */
  confirmedNewsletterBatch(
    manager: EntityManager,
    afterId: string | null,
    limit: number,
  ): Promise<{ id: string; email: string }[]> {
    return this.subscriptions.findConfirmedAfter(manager, 'newsletter', afterId, limit);
  }

  /** Read-only look at a confirmation token, for the page a GET shows. */
  async confirmTokenState(token: string): Promise<TokenLookup> {
    const subscription = await this.subscriptions.findByConfirmHash(hashToken(token));
    if (!subscription || !['pending', 'confirmed'].includes(subscription.status)) {
      return { state: 'unknown' };
    }
    const article = await this.publishedArticle(subscription.articleId);
    if (subscription.status === 'confirmed') {
      return { state: 'confirmed', kind: subscription.kind, article };
    }
    const expired =
      !subscription.confirmExpiresAt || subscription.confirmExpiresAt.getTime() < Date.now();
    return { state: expired ? 'expired' : 'pending', kind: subscription.kind, article };
  }

  /** The article a subscription is about, for its pages to name and link (published only). */
  private async publishedArticle(
    articleId: string | null,
  ): Promise<{ title: string; slug: string } | null> {
    if (!articleId) {
      return null;
    }
    const article = await this.dataSource
      .getRepository(ArticleEntity)
      .findOneBy({ id: articleId, status: 'published' });
    return article ? { title: article.title, slug: article.slug } : null;
  }

  async unsubscribeTokenState(token: string): Promise<TokenLookup> {
    const subscription = await this.subscriptions.findByUnsubscribeHash(hashToken(token));
    if (!subscription) {
      return { state: 'unknown' };
    }
    const state: TokenState =
      subscription.status === 'pending' || subscription.status === 'confirmed'
        ? subscription.status
        : 'unsubscribed';
    return {
      state,
      kind: subscription.kind,
      article: await this.publishedArticle(subscription.articleId),
    };
  }

  async list(
    limit: number,
    filter: { kind?: SubscriptionKind; status?: SubscriptionStatus },
    cursor?: string,
  ): Promise<Page<SubscriptionResponse>> {
    const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid']) : undefined;
    const rows = await this.subscriptions.findPage(
      limit,
      filter,
      after && { createdAt: after[0], id: after[1] },
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((r) => toSubscriptionResponse(r.subscription, r.articleSlug)),
      nextCursor:
        rows.length > limit && last ? encodeCursor([last.cursorTime, last.subscription.id]) : null,
    };
  }

  @OnEvent(MailBouncedEvent.type, { async: true, promisify: true })
  async onBounce(event: MailBouncedEvent): Promise<void> {
    await this.subscriptions.markBounced(event.emailKey);
  }
}
