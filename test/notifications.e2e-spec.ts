import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { CommentStatus } from '../src/comments/comment.entity';
import { CommentVisibility } from '../src/comments/comment-visibility.service';
import { CommentsRepository } from '../src/comments/comments.repository';
import { createTestApp, TestApp } from './support/app';
import { headerLines, linkIn, parse, SinkMessage, SmtpSink } from './support/smtp-sink';
import { createArticle, postComment } from './factories/comments';

const DOMAIN = 'marginalia.test';

/** A real dispatcher sending to the in-process sink; a digest collects for 9 seconds. */
const SENDING = {
  MAIL_DISPATCHER: 'on',
  MAIL_POLL_MS: '100',
  MAIL_RETRY_BASE_MS: '200',
  MAIL_FROM: `Marginalia <notify@${DOMAIN}>`,
  NOTIFY_DIGEST_THRESHOLD: '3',
  NOTIFY_DIGEST_WINDOW_MINUTES: '0.15',
};

/** Resolves with every message to `address` once there are at least `count` of them. */
async function mailsTo(
  sink: SmtpSink,
  address: string,
  count: number,
  timeoutMs = 20_000,
): Promise<SinkMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = sink.to(address);
    if (found.length >= count) {
      return found;
    }
    if (Date.now() > deadline) {
      const subjects = await Promise.all(found.map(async (m) => (await parse(m)).subject));
      throw new Error(`expected ${count} mails to ${address}, got ${JSON.stringify(subjects)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until no due mail is left unsent, so "nothing arrived" means nothing was sent. */
async function settle(t: TestApp): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [{ n }] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM email_outbox
        WHERE status IN ('claimed', 'sending')
           OR (status IN ('queued', 'failed') AND next_attempt_at <= now())`,
    );
    if (n === 0) {
      await new Promise((r) => setTimeout(r, 300));
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${n} mails still unsent`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function subjects(messages: SinkMessage[]): Promise<string[]> {
  return Promise.all(messages.map(async (m) => (await parse(m)).subject ?? ''));
}

async function confirmFrom(t: TestApp, mail: SinkMessage): Promise<void> {
  const link = await linkIn(mail, '/confirm');
  await request(t.http)
    .post('/confirm')
    .type('form')
    .send({ token: link.searchParams.get('token') })
    .expect(200);
}

/** Asks for a subscription through the API and confirms it through the link in the mail. */
async function subscribe(
  t: TestApp,
  sink: SmtpSink,
  slug: string,
  email: string,
  kind: 'followups' | 'replies',
): Promise<void> {
  const before = sink.to(email).length;
  await request(t.http)
    .post(`/api/articles/${slug}/subscriptions`)
    .send({ email, kind })
    .expect(202, { status: 'pending' });
  const mails = await mailsTo(sink, email, before + 1);
  await confirmFrom(t, mails[before]);
}

async function setStatus(t: TestApp, id: string, status: CommentStatus): Promise<void> {
  const comments = t.app.get(CommentsRepository);
  await t.app.get(CommentVisibility).transaction(async (tx) => {
    const comment = await comments.findByIdForUpdate(tx.manager, id);
    await tx.setStatus(comment!, status, `set to ${status} by the test`);
  });
}

function unsubscribeUrl(mail: SinkMessage): URL {
  const [line] = headerLines(mail.raw, 'List-Unsubscribe');
  return new URL(/^<([^>]+)>$/.exec(line)![1]);
}

describe('reply and follow-up notifications over real SMTP', () => {
  const sink = new SmtpSink();
  let t: TestApp;
  /** Same database, comments held on arrival (MODERATION=all), no dispatcher of its own. */
  let held: TestApp;

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp({ ...SENDING, SMTP_URL: sink.url });
    held = await createTestApp(
      {
        MODERATION: 'all',
        NOTIFY_DIGEST_THRESHOLD: SENDING.NOTIFY_DIGEST_THRESHOLD,
        NOTIFY_DIGEST_WINDOW_MINUTES: SENDING.NOTIFY_DIGEST_WINDOW_MINUTES,
      },
      { databaseUrl: t.databaseUrl },
    );
  });
  afterAll(async () => {
    await held?.close();
    await t?.close();
    await sink.stop();
  });

  it('confirms the "Notify of" choice by mail, then mails a reply as escaped text with a link, headers and reason', async () => {
    const article = await createArticle(t, { title: 'Tea & <Biscuits>' });
    const ann = 'ann@example.org';
    const parent = await postComment(t, article.slug, {
      authorName: 'Ann',
      authorEmail: ann,
      notify: 'replies',
      body: 'I like tea.',
    });
    const [confirmation] = await mailsTo(sink, ann, 1);
    expect((await parse(confirmation)).subject).toBe(
      'Please confirm your subscription to replies to your comments',
    );

    // Before confirming, a reply sends nothing (and is not sent later either).
    await postComment(t, article.slug, { parentId: parent.comment.id, body: 'An early reply' });
    await settle(t);
    expect(sink.to(ann)).toHaveLength(1);

    await confirmFrom(t, confirmation);
    // Asking again once confirmed sends no second confirmation.
    await postComment(t, article.slug, { authorEmail: ann, notify: 'replies', body: 'More tea.' });

    const reply = await postComment(t, article.slug, {
      parentId: parent.comment.id,
      authorName: 'Bob <b>',
      body: 'Agreed **strongly** <script>alert(1)</script> & more',
    });
    const mails = await mailsTo(sink, ann, 2);
    await settle(t);
    expect(sink.to(ann)).toHaveLength(2);
    const mail = await parse(mails[1]);
    expect(mail.subject).toBe('New reply to your comment on “Tea & <Biscuits>”');
    expect(mail.text).toContain('Bob <b> replied to your comment on "Tea & <Biscuits>"');
    expect(mail.text).toContain('> Agreed strongly <script>alert(1)</script> & more');
    expect(mail.text).not.toContain('An early reply');
    expect(mail.text).toContain(
      `http://marginalia.test/articles/${article.slug}#comment-${reply.comment.id}`,
    );
    expect(mail.text).toContain('because you asked to be told of replies to your comments');
    expect(mail.html).not.toMatch(/<script|<b>/);
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(mail.html).toContain('Bob &lt;b&gt;');
    expect(mail.html).toContain(
      `href="http://marginalia.test/articles/${article.slug}#comment-${reply.comment.id}"`,
    );

    const raw = mails[1].raw;
    const unsubscribe = unsubscribeUrl(mails[1]);
    expect(unsubscribe.origin + unsubscribe.pathname).toBe('http://marginalia.test/unsubscribe');
    expect(mail.text).toContain(unsubscribe.toString());
    expect(headerLines(raw, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
    expect(headerLines(raw, 'Auto-Submitted')).toEqual(['auto-generated']);
    expect(headerLines(raw, 'List-Id')[0]).toContain(`<notifications.${DOMAIN}>`);
    expect(headerLines(raw, 'In-Reply-To')).toEqual([`<article-${article.id}@${DOMAIN}>`]);
    expect(headerLines(raw, 'References')).toEqual([`<article-${article.id}@${DOMAIN}>`]);
  });

  it('never tells authors of their own comments or replies', async () => {
    const article = await createArticle(t, { title: 'About cats' });
    const cat = 'cat@example.org';
    await subscribe(t, sink, article.slug, cat, 'followups');
    await subscribe(t, sink, article.slug, cat, 'replies');
    const mine = await postComment(t, article.slug, { authorEmail: cat, body: 'My comment' });
    await postComment(t, article.slug, {
      authorEmail: 'CAT@Example.org',
      parentId: mine.comment.id,
      body: 'Replying to myself',
    });
    await settle(t);
    expect(await subjects(sink.to(cat))).toEqual([
      'Please confirm your subscription to new comments',
      'Please confirm your subscription to replies to your comments',
    ]);
    // Someone else's comment does reach the same address.
    await postComment(t, article.slug, { body: 'A stranger speaks' });
    const mails = await mailsTo(sink, cat, 3);
    expect((await parse(mails[2])).subject).toBe('New comment on “About cats”');
  });

  it('sends one mail, not two, to an address subscribed to both kinds', async () => {
    const article = await createArticle(t);
    const eve = 'eve@example.org';
    await subscribe(t, sink, article.slug, eve, 'followups');
    await subscribe(t, sink, article.slug, eve, 'replies');
    const root = await postComment(t, article.slug, { authorEmail: eve, body: 'Root by Eve' });
    const deep = await postComment(t, article.slug, {
      authorEmail: eve,
      parentId: root.comment.id,
      body: 'Eve again',
    });
    // A reply under two of Eve's comments, matching both of her subscriptions.
    const reply = await postComment(t, article.slug, {
      parentId: deep.comment.id,
      body: 'Frank answers',
    });
    const mails = await mailsTo(sink, eve, 3);
    await settle(t);
    expect(sink.to(eve)).toHaveLength(3);
    const mail = await parse(mails[2]);
    expect(mail.subject).toMatch(/^New reply to your comment on/);
    expect(mail.text).toContain('Frank answers');
    expect(mail.text).toContain('replies to your comments and of every new comment');
    const rows = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM email_outbox WHERE idempotency_key LIKE $1`,
      [`notify:${reply.comment.id}:%`],
    );
    expect(rows[0].n).toBe(1);
  });

  it('sends nothing for a held reply, and exactly one mail once a moderator approves it', async () => {
    const article = await createArticle(t);
    const gil = 'gil@example.org';
    await subscribe(t, sink, article.slug, gil, 'replies');
    const parent = await postComment(t, article.slug, { authorEmail: gil, body: 'Gil asks' });
    const pending = await postComment(held, article.slug, {
      parentId: parent.comment.id,
      body: 'A held answer',
    });
    expect(pending.comment.status).toBe('pending');
    await settle(t);
    expect(sink.to(gil)).toHaveLength(1);

    const approvedAt = Date.now();
    await setStatus(t, pending.comment.id, 'approved');
    const mails = await mailsTo(sink, gil, 2);
    expect(mails[1].receivedAt).toBeGreaterThanOrEqual(approvedAt);
    expect((await parse(mails[1])).text).toContain('A held answer');

    // Held again and approved again: still that one mail.
    await setStatus(t, pending.comment.id, 'pending');
    await setStatus(t, pending.comment.id, 'approved');
    await settle(t);
    expect(sink.to(gil)).toHaveLength(2);
  });

  it('folds a burst of 10 replies into a few mails and then one digest listing the rest once', async () => {
    const article = await createArticle(t, { title: 'A busy thread' });
    const hal = 'hal@example.org';
    await subscribe(t, sink, article.slug, hal, 'replies');
    const parent = await postComment(t, article.slug, { authorEmail: hal, body: 'Hal starts' });
    for (let i = 1; i <= 10; i += 1) {
      await postComment(t, article.slug, {
        parentId: parent.comment.id,
        body: `Burst reply number ${i} here`,
      });
    }
    const mails = await mailsTo(sink, hal, 1 + 4, 40_000);
    // The digest is the last mail; wait past its window to be sure nothing else follows.
    await new Promise((r) => setTimeout(r, 1500));
    await settle(t);
    const notifications = sink.to(hal).slice(1);
    expect(notifications).toHaveLength(4);
    const parsed = await Promise.all(notifications.map((m) => parse(m)));
    expect(parsed.slice(0, 3).map((m) => m.subject)).toEqual(
      Array(3).fill('New reply to your comment on “A busy thread”'),
    );
    const digest = parsed[3];
    expect(digest.subject).toBe('New comments on “A busy thread”');
    const singles = parsed
      .slice(0, 3)
      .map((m) => m.text ?? '')
      .join('\n');
    for (let i = 1; i <= 10; i += 1) {
      const inSingles = singles.split(`Burst reply number ${i} here`).length - 1;
      const inDigest = (digest.text ?? '').split(`Burst reply number ${i} here`).length - 1;
      expect(inSingles + inDigest, `reply ${i}`).toBe(1);
      expect(inDigest, `reply ${i} in the digest`).toBe(i > 3 ? 1 : 0);
    }
    expect(digest.text).toContain('here are the 7 latest together');
    const raw = mails[4].raw;
    expect(headerLines(raw, 'In-Reply-To')).toEqual([`<article-${article.id}@${DOMAIN}>`]);
    expect(headerLines(raw, 'List-Unsubscribe')).toHaveLength(1);
    expect(headerLines(raw, 'List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
  });

  it('stops the next notification once the one-click unsubscribe link in a mail is posted', async () => {
    const article = await createArticle(t);
    const ivy = 'ivy@example.org';
    await subscribe(t, sink, article.slug, ivy, 'followups');
    await postComment(t, article.slug, { body: 'First comment for Ivy' });
    const mails = await mailsTo(sink, ivy, 2);
    const link = unsubscribeUrl(mails[1]);
    const res = await request(t.http)
      .post(link.pathname + link.search)
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(200);
    expect(res.headers.location).toBeUndefined();
    await postComment(t, article.slug, { body: 'Second comment for Ivy' });
    await settle(t);
    expect(sink.to(ivy)).toHaveLength(2);
  });

  it('threads every mail about one article under one stable root id', async () => {
    const first = await createArticle(t);
    const second = await createArticle(t);
    const jay = 'jay@example.org';
    await subscribe(t, sink, first.slug, jay, 'followups');
    await subscribe(t, sink, second.slug, jay, 'followups');
    await postComment(t, first.slug, { body: 'One' });
    await mailsTo(sink, jay, 3);
    await postComment(t, first.slug, { body: 'Two' });
    await mailsTo(sink, jay, 4);
    await postComment(t, second.slug, { body: 'Three' });
    const mails = (await mailsTo(sink, jay, 5)).slice(2);
    const ids = mails.map((m) => headerLines(m.raw, 'Message-ID')[0]);
    expect(new Set(ids).size).toBe(3);
    const root = (slugArticle: { id: string }) => `<article-${slugArticle.id}@${DOMAIN}>`;
    expect(mails.map((m) => headerLines(m.raw, 'In-Reply-To'))).toEqual([
      [root(first)],
      [root(first)],
      [root(second)],
    ]);
    expect(mails.map((m) => headerLines(m.raw, 'References'))).toEqual([
      [root(first)],
      [root(first)],
      [root(second)],
    ]);
    const subjectsSent = await subjects(mails);
    expect(subjectsSent[0]).toBe(subjectsSent[1]);
  });

  it('offers "stop all mail about this article" and "stop all mail from this site", both idempotent', async () => {
    const first = await createArticle(t);
    const second = await createArticle(t);
    const kim = 'kim@example.org';
    await subscribe(t, sink, first.slug, kim, 'followups');
    await subscribe(t, sink, first.slug, kim, 'replies');
    await subscribe(t, sink, second.slug, kim, 'followups');
    await postComment(t, first.slug, { body: 'News on the first' });
    const mails = await mailsTo(sink, kim, 4);
    const link = unsubscribeUrl(mails[3]);
    const token = link.searchParams.get('token')!;

    const page = await request(t.http)
      .get(link.pathname + link.search)
      .expect(200);
    expect(page.text).toContain('Stop all mail about this article');
    expect(page.text).toContain('Stop all mail from this site');
    expect(page.text).toContain('action="/unsubscribe/article"');
    expect(page.text).toContain('action="/unsubscribe/all"');

    for (let i = 0; i < 2; i += 1) {
      const res = await request(t.http)
        .post('/unsubscribe/article')
        .type('form')
        .send({ token })
        .expect(200);
      expect(res.text).toContain('no more mail about this article');
    }
    const statuses = await t.dataSource.query<{ kind: string; slug: string; status: string }[]>(
      `SELECT s.kind, a.slug, s.status FROM subscriptions s JOIN articles a ON a.id = s.article_id
        WHERE s.email_key = $1 ORDER BY a.slug = $2 DESC, s.kind`,
      [kim, first.slug],
    );
    expect(statuses.map((s) => s.status)).toEqual(['unsubscribed', 'unsubscribed', 'confirmed']);
    await postComment(t, first.slug, { body: 'More news on the first' });
    await settle(t);
    expect(sink.to(kim)).toHaveLength(4);

    await postComment(t, second.slug, { body: 'News on the second' });
    const more = await mailsTo(sink, kim, 5);
    const secondToken = unsubscribeUrl(more[4]).searchParams.get('token')!;
    for (let i = 0; i < 2; i += 1) {
      await request(t.http)
        .post('/unsubscribe/all')
        .type('form')
        .send({ token: secondToken })
        .expect(200);
    }
    const suppressed = await t.dataSource.query(
      'SELECT reason FROM suppressions WHERE email_key = $1',
      [kim],
    );
    expect(suppressed).toEqual([{ reason: 'manual' }]);
    await postComment(t, second.slug, { body: 'More news on the second' });
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: kim, consent: true })
      .expect(202);
    await request(t.http)
      .post(`/api/articles/${first.slug}/subscriptions`)
      .send({ email: kim, kind: 'followups' })
      .expect(202);
    await settle(t);
    expect(sink.to(kim)).toHaveLength(5);

    await request(t.http)
      .post('/unsubscribe/all')
      .type('form')
      .send({ token: 'A'.repeat(43) })
      .expect(404);
  });

  it('answers the subscription API the same whatever the address, and validates it', async () => {
    const article = await createArticle(t);
    const lou = 'lou@example.org';
    await subscribe(t, sink, article.slug, lou, 'followups');
    // Confirmed already: the same answer, and no second confirmation.
    await request(t.http)
      .post(`/api/articles/${article.slug}/subscriptions`)
      .send({ email: lou, kind: 'followups' })
      .expect(202, { status: 'pending' });
    await request(t.http)
      .post('/api/articles/no-such-article/subscriptions')
      .send({ email: lou, kind: 'followups' })
      .expect(404);
    await request(t.http)
      .post(`/api/articles/${article.slug}/subscriptions`)
      .send({ email: lou, kind: 'newsletter' })
      .expect(400);
    await request(t.http)
      .post(`/api/articles/${article.slug}/subscriptions`)
      .send({ email: 'a@b.example, c@d.example', kind: 'replies' })
      .expect(400);
    await request(t.http)
      .post(`/api/articles/${article.slug}/subscriptions`)
      .send({ email: lou, kind: 'replies', extra: 1 })
      .expect(400);
    await settle(t);
    expect(sink.to(lou)).toHaveLength(1);
  });

  it('tells the reader of the no-JavaScript form to confirm by mail', async () => {
    const article = await createArticle(t);
    const res = await request(t.http)
      .post(`/articles/${article.slug}/comments`)
      .type('form')
      .send({
        authorName: 'Mia',
        authorEmail: 'mia@example.org',
        body: 'Posted from the page',
        notify: 'followups',
      })
      .expect(303);
    expect(res.headers.location).toMatch(
      new RegExp(`^/articles/${article.slug}\\?notify=[0-9a-f-]{36}#comment-`),
    );
    const page = await request(t.http).get(res.headers.location.split('#')[0]).expect(200);
    expect(page.text).toContain('Please check your inbox');
    const [mail] = await mailsTo(sink, 'mia@example.org', 1);
    expect((await parse(mail)).subject).toBe('Please confirm your subscription to new comments');

    const plain = await request(t.http)
      .post(`/articles/${article.slug}/comments`)
      .type('form')
      .send({ authorName: 'Mia', authorEmail: 'mia2@example.org', body: 'No notify' })
      .expect(303);
    expect(plain.headers.location).not.toContain('notify=');
    const plainPage = await request(t.http).get(plain.headers.location.split('#')[0]).expect(200);
    expect(plainPage.text).not.toContain('Please check your inbox');

    const heldPost = await request(held.http)
      .post(`/articles/${article.slug}/comments`)
      .type('form')
      .send({ authorName: 'Noa', authorEmail: 'noa@example.org', body: 'Held', notify: 'replies' })
      .expect(303);
    expect(heldPost.headers.location).toContain('held=1&notify=1');
    // A held comment still asks for the subscription: the mail is about it, not the comment.
    const [noaMail] = await mailsTo(sink, 'noa@example.org', 1);
    expect((await parse(noaMail)).text).not.toContain('Held');
  });

  it('alerts the moderators of held comments, folds a flood into a digest, and withdraws decided ones', async () => {
    const mod = 'mod@example.org';
    await request(t.http)
      .put('/api/admin/settings/moderation')
      .set(t.admin)
      .send({ moderatorEmails: [mod] })
      .expect(200);
    try {
      const article = await createArticle(t, { title: 'Moderated <article>' });
      const first = await postComment(held, article.slug, {
        authorName: 'Ole',
        body: 'Look <img src=x onerror=alert(1)> here',
      });
      const [alert] = await mailsTo(sink, mod, 1);
      const parsed = await parse(alert);
      expect(parsed.subject).toBe('Comment held for review on “Moderated <article>”');
      expect(parsed.text).toContain('Look <img src=x onerror=alert(1)> here');
      expect(parsed.text).toContain('moderation mode "all": every comment is held');
      // A link to the comment in the moderation console, no curl commands.
      expect(parsed.text).toContain(
        `Review it in the console: http://marginalia.test/admin/comments/${first.comment.id}`,
      );
      expect(parsed.html).toContain(
        `href="http://marginalia.test/admin/comments/${first.comment.id}"`,
      );
      expect(parsed.text).not.toContain('PATCH');
      expect(parsed.html).not.toContain('<img');
      expect(parsed.html).toContain('Look &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; here');
      expect(headerLines(alert.raw, 'Auto-Submitted')).toEqual(['auto-generated']);
      expect(headerLines(alert.raw, 'List-Unsubscribe')).toEqual([]);

      const later: string[] = [];
      for (let i = 1; i <= 6; i += 1) {
        const posted = await postComment(held, article.slug, { body: `Held flood ${i}` });
        later.push(posted.comment.id);
      }
      // The last one is decided before the digest goes out: it leaves the digest.
      await setStatus(t, later[5], 'trash');
      const mails = await mailsTo(sink, mod, 4, 40_000);
      await new Promise((r) => setTimeout(r, 1500));
      await settle(t);
      expect(sink.to(mod)).toHaveLength(4);
      const all = await Promise.all(mails.map((m) => parse(m)));
      expect(all.slice(0, 3).map((m) => m.subject)).toEqual(
        Array(3).fill('Comment held for review on “Moderated <article>”'),
      );
      const digest = all[3];
      expect(digest.subject).toBe('3 comments held for review');
      for (const [i, id] of later.entries()) {
        const n = (digest.text ?? '').split(id).length - 1;
        expect(n, `held comment ${i + 1}`).toBe(i >= 2 && i < 5 ? 1 : 0);
      }
    } finally {
      await request(t.http)
        .put('/api/admin/settings/moderation')
        .set(t.admin)
        .send({ moderatorEmails: [] })
        .expect(200);
    }
  });
});

describe('a comment withdrawn before its notification went out', () => {
  const sink = new SmtpSink();
  let sender: TestApp | null = null;
  let quiet: TestApp;

  beforeAll(async () => {
    await sink.start();
  });
  afterAll(async () => {
    await sender?.close();
    await quiet?.close();
    await sink.stop();
  });

  it('sends nothing for a reply trashed before dispatch, and the rest as usual', async () => {
    sender = await createTestApp({ ...SENDING, SMTP_URL: sink.url });
    const article = await createArticle(sender);
    const pat = 'pat@example.org';
    await subscribe(sender, sink, article.slug, pat, 'replies');
    const parent = await postComment(sender, article.slug, { authorEmail: pat, body: 'Pat asks' });
    const databaseUrl = sender.databaseUrl;
    await sender.close();
    sender = null;

    // No dispatcher runs while the reply is published and trashed.
    quiet = await createTestApp({}, { databaseUrl });
    const trashed = await postComment(quiet, article.slug, {
      parentId: parent.comment.id,
      body: 'Regrettable reply',
    });
    const kept = await postComment(quiet, article.slug, {
      parentId: parent.comment.id,
      body: 'Kind reply',
    });
    await setStatus(quiet, trashed.comment.id, 'trash');
    const rows = await quiet.dataSource.query<{ key: string; status: string }[]>(
      `SELECT idempotency_key AS key, status FROM email_outbox WHERE idempotency_key LIKE 'notify:%'
        ORDER BY created_at`,
    );
    expect(rows.map((r) => [r.key.split(':')[1], r.status])).toEqual([
      [trashed.comment.id, 'skipped'],
      [kept.comment.id, 'queued'],
    ]);

    sender = await createTestApp({ ...SENDING, SMTP_URL: sink.url }, { databaseUrl });
    const mails = await mailsTo(sink, pat, 2);
    await settle(sender);
    expect(sink.to(pat)).toHaveLength(2);
    const text = (await parse(mails[1])).text ?? '';
    expect(text).toContain('Kind reply');
    expect(text).not.toContain('Regrettable');
  });
});
