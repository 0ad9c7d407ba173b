import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnsubscribeLinks } from '../src/mail/unsubscribe-links';
import { commentInput, createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { describeBrowser, launchBrowser, listen } from './support/browser';

// Replays of the attacks of issue 9, points 4, 5 and 7: one client censoring a comment or moving
// its score, cross-site posts through the page forms, spam slipped in by an edit, and an author
// locked out by someone else's wrong tokens.

const voter = (n: number) => `abuse-voter-${String(n).padStart(8, '0')}`;

interface AdminView {
  status: string;
  reasons: string[];
  reports: { reason: string }[];
}

async function adminView(t: TestApp, id: string): Promise<AdminView> {
  return (await request(t.http).get(`/api/admin/comments/${id}`).set(t.admin).expect(200))
    .body as AdminView;
}

async function publicIds(t: TestApp, slug: string): Promise<string[]> {
  const res = await request(t.http).get(`/api/articles/${slug}/comments?limit=100`).expect(200);
  return (res.body.items as { id: string }[]).map((c) => c.id);
}

/** Limits are fixed one-minute windows: start each test with at least 10 s of its window left. */
async function freshMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, left + 50));
  }
}

describe('reports count networks, not voter ids', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    // One proxy hop is believed, so X-Forwarded-For names each simulated client.
    t = await createTestApp({ MODERATION: 'none', TRUST_PROXY_HOPS: '1' });
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  const report = (id: string, ip: string, who: string, reason = 'abusive') =>
    request(t.http)
      .post(`/api/comments/${id}/reports`)
      .set('X-Forwarded-For', ip)
      .set('X-Voter-Id', who)
      .send({ reason });

  it('one IP with rotating voter ids cannot hold an approved comment', async () => {
    const { comment } = await postComment(t, article.slug, { body: 'An unpopular opinion' });
    for (const n of [1, 2, 3, 4, 5]) {
      await report(comment.id, '203.0.113.5', voter(n)).expect(202);
    }
    expect((await adminView(t, comment.id)).status).toBe('approved');
    expect(await publicIds(t, article.slug)).toContain(comment.id);
  });

  it('counts an IPv4 /24, an IPv6 /64 and an IPv4-mapped IPv6 address as one network each', async () => {
    const { comment } = await postComment(t, article.slug, { body: 'Another opinion' });
    // Three addresses of 203.0.113.0/24, one of them written as IPv4-mapped IPv6.
    await report(comment.id, '203.0.113.5', voter(10)).expect(202);
    await report(comment.id, '203.0.113.250', voter(11)).expect(202);
    await report(comment.id, '::ffff:203.0.113.77', voter(12)).expect(202);
    // Two addresses of one IPv6 /64, in two spellings.
    await report(comment.id, '2001:db8:1:2::1', voter(13)).expect(202);
    await report(comment.id, '2001:0DB8:0001:0002:ffff:0:0:9', voter(14)).expect(202);
    let view = await adminView(t, comment.id);
    expect(view.reports).toHaveLength(5);
    expect(view.status).toBe('approved');
    expect(await publicIds(t, article.slug)).toContain(comment.id);

    // A third network reaches the threshold (3).
    await report(comment.id, '198.51.100.9', voter(15)).expect(202);
    view = await adminView(t, comment.id);
    expect(view.status).toBe('pending');
    expect(view.reasons).toContain('reported from 3 networks');
    expect(await publicIds(t, article.slug)).not.toContain(comment.id);
  });

  it('a neighbouring IPv6 /64 is another network', async () => {
    const { comment } = await postComment(t, article.slug, { body: 'A third opinion' });
    await report(comment.id, '2001:db8:1:2::1', voter(20)).expect(202);
    await report(comment.id, '2001:db8:1:3::1', voter(21)).expect(202);
    await report(comment.id, '192.0.2.1', voter(22)).expect(202);
    expect((await adminView(t, comment.id)).status).toBe('pending');
  });
});

describe('page forms refuse cross-site posts', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'none' });
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  const reportCount = async (id: string): Promise<number> => {
    const [row] = await t.dataSource.query(
      'SELECT count(*)::integer AS n FROM comment_reports WHERE comment_id = $1',
      [id],
    );
    return row.n as number;
  };

  const hostile: [string, Record<string, string>][] = [
    ['a foreign Origin', { Origin: 'https://evil.example' }],
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
    ['an opaque Origin from outside the site', { Origin: 'null' }],
    [
      'a foreign Origin with a same-origin claim',
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-origin' },
    ],
  ];

  it.each(hostile)('the report form refuses %s, whatever the content type', async (_, headers) => {
    const { comment } = await postComment(t, article.slug);
    for (const type of ['form', 'text/plain', 'multipart/form-data']) {
      const res = await request(t.http)
        .post(`/comments/${comment.id}/report`)
        .set(headers)
        .type(type)
        .send(type === 'form' ? { reason: 'cross-site' } : 'reason=cross-site');
      expect(res.status, type).toBe(403);
    }
    expect(await reportCount(comment.id)).toBe(0);
  });

  it('every state-changing page form refuses a foreign Origin and changes nothing', async () => {
    const before = await t.dataSource.query(
      'SELECT (SELECT count(*) FROM comments)::integer AS comments, (SELECT count(*) FROM subscriptions)::integer AS subs, (SELECT count(*) FROM email_outbox)::integer AS mails',
    );
    const { comment } = await postComment(t, article.slug);
    const token = 'x'.repeat(43);
    const forms: [string, Record<string, string>][] = [
      [`/articles/${article.slug}/comments`, commentInput() as Record<string, string>],
      [`/comments/${comment.id}/report`, { reason: 'rude' }],
      ['/newsletter/subscribe', { email: 'victim@example.org', consent: 'on' }],
      ['/confirm', { token }],
      ['/confirm/resend', { token }],
      ['/unsubscribe/article', { token }],
      ['/unsubscribe/all', { token }],
    ];
    for (const [path, body] of forms) {
      for (const headers of [
        { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
        { Origin: 'https://evil.example' },
        { 'Sec-Fetch-Site': 'cross-site' },
      ]) {
        const res = await request(t.http).post(path).set(headers).type('form').send(body);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(res.text).toContain('cross-site');
      }
    }
    const after = await t.dataSource.query(
      'SELECT (SELECT count(*) FROM comments)::integer AS comments, (SELECT count(*) FROM subscriptions)::integer AS subs, (SELECT count(*) FROM email_outbox)::integer AS mails',
    );
    expect(after[0]).toEqual({ ...before[0], comments: before[0].comments + 1 });
    expect(await reportCount(comment.id)).toBe(0);
  });

  it('accepts its own pages: PUBLIC_URL origin, the request host, same-origin fetch metadata', async () => {
    const { comment } = await postComment(t, article.slug);
    const ok: Record<string, string>[] = [
      { Origin: 'http://marginalia.test', 'Sec-Fetch-Site': 'same-origin' },
      { Origin: 'http://marginalia.test' },
      // Our pages send Referrer-Policy: no-referrer, so a browser's own form post carries
      // Origin: null next to Sec-Fetch-Site: same-origin.
      { Origin: 'null', 'Sec-Fetch-Site': 'same-origin' },
      { 'Sec-Fetch-Site': 'none' },
      // A client without fetch metadata (curl, an old browser) is not a cross-site page.
      {},
    ];
    for (const [n, headers] of ok.entries()) {
      await request(t.http)
        .post(`/comments/${comment.id}/report`)
        .set(headers)
        .set('User-Agent', `browser ${n}`)
        .type('form')
        .send({ reason: `fine ${n}` })
        .expect(303);
    }
    const host = request(t.http).post(`/comments/${comment.id}/report`);
    const res = await host
      .set('User-Agent', 'browser host')
      .set('Host', 'comments.example.net')
      .set('Origin', 'http://comments.example.net')
      .type('form')
      .send({ reason: 'own host' });
    expect(res.status).toBe(303);
    // Behind a proxy that ends TLS the app sees http while the browser says https.
    const tls = await request(t.http)
      .post(`/comments/${comment.id}/report`)
      .set('User-Agent', 'browser tls')
      .set('Host', 'comments.example.net')
      .set('Origin', 'https://comments.example.net')
      .type('form')
      .send({ reason: 'own host over TLS' });
    expect(tls.status).toBe(303);
    expect(await reportCount(comment.id)).toBe(ok.length + 2);
  });

  it('still takes the RFC 8058 one-click unsubscribe POST, which carries neither header', async () => {
    await request(t.http)
      .post('/api/newsletter/subscriptions')
      .send({ email: 'oneclick@example.org', consent: true })
      .expect(202);
    const [sub] = await t.dataSource.query(
      "SELECT id FROM subscriptions WHERE email = 'oneclick@example.org'",
    );
    const token = await t.app.get(UnsubscribeLinks).tokenFor(sub.id);
    // A webmail client posting from its own origin must not be refused either.
    await request(t.http)
      .post(`/unsubscribe?token=${encodeURIComponent(token)}`)
      .set('Origin', 'https://mail.example.com')
      .set('Sec-Fetch-Site', 'cross-site')
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(200);
    const [row] = await t.dataSource.query('SELECT status FROM subscriptions WHERE id = $1', [
      sub.id,
    ]);
    expect(row.status).toBe('unsubscribed');
  });
});

describeBrowser('a third-party page in a real browser', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let evil: Server;
  let evilUrl: string;
  let target = '';

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'none' });
    base = await listen(t);
    browser = await launchBrowser();
    // A page on another origin that posts the report form the moment it loads.
    evil = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(
        `<form id="f" method="post" action="${target}"><input name="reason" value="csrf"></form>` +
          '<script>document.getElementById("f").submit()</script>',
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.2', resolve));
    evilUrl = `http://127.0.0.2:${(evil.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => evil?.close(resolve));
    await t.close();
  });

  it('cannot report a comment through the page form, while the page itself can', async () => {
    const article = await createArticle(t);
    const { comment } = await postComment(t, article.slug);
    target = `${base}/comments/${comment.id}/report`;
    const page = await browser.newPage();
    const refused = page.waitForResponse((r) => r.url() === target);
    await page.goto(evilUrl);
    expect((await refused).status()).toBe(403);
    const count = async () =>
      (
        await t.dataSource.query(
          'SELECT count(*)::integer AS n FROM comment_reports WHERE comment_id = $1',
          [comment.id],
        )
      )[0].n;
    expect(await count()).toBe(0);

    // The reader page's own form, posted by the same browser without JavaScript's help.
    await page.goto(`${base}/articles/${article.slug}`);
    const accepted = page.waitForResponse((r) => r.url() === target);
    await page.evaluate((id) => {
      const form = document.querySelector<HTMLFormElement>(`form[action="/comments/${id}/report"]`);
      HTMLFormElement.prototype.submit.call(form!);
    }, comment.id);
    expect((await accepted).status()).toBe(303);
    expect(await count()).toBe(1);
    await page.close();
  });
});

describe('votes: one network moves a score by at most VOTES_PER_NETWORK_PER_HOUR', () => {
  let a: TestApp;
  let b: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    a = await createTestApp({ RATE_LIMIT: 'on', TRUST_PROXY_HOPS: '1' });
    // A second instance on the same database: the cap lives in PostgreSQL.
    b = await createTestApp(
      { RATE_LIMIT: 'on', TRUST_PROXY_HOPS: '1' },
      { databaseUrl: a.databaseUrl },
    );
    article = await createArticle(a);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });
  beforeEach(freshMinute);

  const vote = (t: TestApp, id: string, ip: string, who: string, value = 1) =>
    request(t.http)
      .put(`/api/comments/${id}/vote`)
      .set('X-Forwarded-For', ip)
      .set('X-Voter-Id', who)
      .send({ value });

  it('60 votes from one IP with rotating voter ids move the score by 10, across instances', async () => {
    const { comment } = await postComment(a, article.slug);
    const statuses: number[] = [];
    for (let n = 0; n < 30; n++) {
      statuses.push((await vote(a, comment.id, '192.0.2.10', voter(100 + n))).status);
      statuses.push((await vote(b, comment.id, '192.0.2.10', voter(200 + n))).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    const refused = await vote(a, comment.id, '192.0.2.99', voter(300));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(3600);

    const thread = await request(a.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    const node = (thread.body.items as { id: string; votes: { score: number } }[]).find(
      (c) => c.id === comment.id,
    );
    expect(node?.votes.score).toBe(10);
    // Another network still votes, and the first network may still vote on other comments.
    await vote(a, comment.id, '198.51.100.3', voter(301)).expect(200);
    const other = await postComment(a, article.slug);
    // (another address of it: 192.0.2.10 has spent its per-address minute)
    await vote(a, other.comment.id, '192.0.2.11', voter(302)).expect(200);
  });

  it('counts a flip from +1 to -1 as two moves, and IPv6 per /64', async () => {
    const { comment } = await postComment(a, article.slug);
    for (let n = 0; n < 5; n++) {
      await vote(a, comment.id, `2001:db8:7:7::${n + 1}`, voter(400 + n)).expect(200);
    }
    for (let n = 0; n < 2; n++) {
      await vote(a, comment.id, '2001:db8:7:7::1', voter(400 + n), -1).expect(200);
    }
    // 5 ups and 2 flips: 9 of the 10 moves are spent.
    await vote(a, comment.id, '2001:db8:7:7:abcd::1', voter(410), 1).expect(200);
    await vote(a, comment.id, '2001:db8:7:7::1', voter(411), 1).expect(429);
    const res = await vote(a, comment.id, '2001:db8:7:8::1', voter(412), 1).expect(200);
    expect(res.body).toMatchObject({ up: 5, down: 2, score: 3 });
  });
});

describeBrowser('the vote cap on the reader page', () => {
  it('tells the reader why a vote did not count', async () => {
    const t = await createTestApp({ RATE_LIMIT: 'on', VOTES_PER_NETWORK_PER_HOUR: '1' });
    const browser = await launchBrowser();
    try {
      const base = await listen(t);
      const article = await createArticle(t);
      const { comment } = await postComment(t, article.slug);
      const page = await browser.newPage();
      await page.goto(`${base}/articles/${article.slug}`);
      const card = page.locator(`#comment-${comment.id} > .comment-card`);
      await card.locator('.vote-up').click();
      await expect.poll(() => card.locator('.vote-score').textContent()).toBe('1');
      // Taking the vote back would move the score a second time within the hour.
      await card.locator('.vote-up').click();
      await expect
        .poll(() => card.locator('.vote-note').textContent())
        .toContain('Too many votes on this comment from your network');
      expect(await card.locator('.vote-score').textContent()).toBe('1');
      expect(await card.locator('.vote-up').getAttribute('aria-pressed')).toBe('true');
    } finally {
      await browser.close();
      await t.close();
    }
  });
});

describe('the vote cap is configurable', () => {
  it('VOTES_PER_NETWORK_PER_HOUR=3 lets one network move a score by 3', async () => {
    const t = await createTestApp({
      RATE_LIMIT: 'on',
      TRUST_PROXY_HOPS: '1',
      VOTES_PER_NETWORK_PER_HOUR: '3',
    });
    try {
      const article = await createArticle(t);
      const { comment } = await postComment(t, article.slug);
      const statuses: number[] = [];
      for (let n = 0; n < 6; n++) {
        const res = await request(t.http)
          .put(`/api/comments/${comment.id}/vote`)
          .set('X-Forwarded-For', `203.0.113.${n}`)
          .set('X-Voter-Id', voter(500 + n))
          .send({ value: 1 });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('an edit is screened like a new comment', () => {
  let t: TestApp;
  let article: TestArticle;
  const mod = 'mod@example.org';
  const reader = 'follower@example.org';

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'none', NOTIFY_DIGEST_THRESHOLD: '100' });
    await request(t.http)
      .put('/api/admin/settings/moderation')
      .set(t.admin)
      .send({ mode: 'none', blockWords: ['casino'], maxLinks: 2, moderatorEmails: [mod] })
      .expect(200);
    article = await createArticle(t);
    // A confirmed follower of the article: every published comment queues a mail to them.
    await request(t.http)
      .post(`/api/articles/${article.slug}/subscriptions`)
      .send({ email: reader, kind: 'followups' })
      .expect(202);
    const [mail] = await t.dataSource.query(
      "SELECT payload->>'confirmUrl' AS url FROM email_outbox WHERE recipient = $1",
      [reader],
    );
    const token = new URL(mail.url as string).searchParams.get('token');
    await request(t.http).post('/api/subscriptions/confirm').send({ token }).expect(200);
  });
  afterAll(() => t.close());

  const links = Array.from({ length: 5 }, (_, i) => `https://spam${i}.example/`).join(' ');

  const mailsAbout = (id: string, recipient: string) =>
    t.dataSource.query<{ status: string; template: string }[]>(
      `SELECT o.status, o.template FROM email_outbox o
       WHERE o.recipient = $2 AND o.idempotency_key LIKE '%' || $1 || '%'`,
      [id, recipient],
    );

  const edit = (id: string, token: string, body: string) =>
    request(t.http).patch(`/api/comments/${id}`).set('X-Edit-Token', token).send({ body });

  it('a block word in an edit takes the comment out of the thread as spam and withdraws its mail', async () => {
    const posted = await postComment(t, article.slug, { body: 'A fair point about tea' });
    expect(posted.comment.status).toBe('approved');
    expect(await mailsAbout(posted.comment.id, reader)).toEqual([
      { status: 'queued', template: expect.any(String) },
    ]);
    const before = (await request(t.http).get(`/api/articles/${article.slug}`)).body.commentCount;

    const res = await edit(posted.comment.id, posted.editToken, `best casino and viagra! ${links}`);
    expect(res.status).toBe(200);
    // The author sees the comment as held, never the word "spam".
    expect(res.body.status).toBe('pending');

    const view = await adminView(t, posted.comment.id);
    expect(view.status).toBe('spam');
    expect(view.reasons).toContain('block word "casino"');
    expect(await publicIds(t, article.slug)).not.toContain(posted.comment.id);
    expect((await request(t.http).get(`/api/articles/${article.slug}`)).body.commentCount).toBe(
      before - 1,
    );
    expect(await mailsAbout(posted.comment.id, reader)).toEqual([
      { status: 'skipped', template: expect.any(String) },
    ]);
    const page = await request(t.http).get(`/articles/${article.slug}`).expect(200);
    expect(page.text).not.toContain('viagra');
  });

  it('too many links in an edit hold the comment for review and alert the moderators', async () => {
    const posted = await postComment(t, article.slug, { body: 'Another fair point' });
    expect(await mailsAbout(posted.comment.id, mod)).toEqual([]);
    await edit(posted.comment.id, posted.editToken, `see ${links}`).expect(200);
    const view = await adminView(t, posted.comment.id);
    expect(view.status).toBe('pending');
    expect(view.reasons).toContain('5 links (more than 2)');
    expect(await publicIds(t, article.slug)).not.toContain(posted.comment.id);
    expect(await mailsAbout(posted.comment.id, mod)).toEqual([
      { status: 'queued', template: 'moderation-alert' },
    ]);
    expect(await mailsAbout(posted.comment.id, reader)).toEqual([
      { status: 'skipped', template: expect.any(String) },
    ]);
  });

  it('an edit never publishes a held comment, and a clean edit of a public one keeps it public', async () => {
    const held = await postComment(t, article.slug, { body: `held from the start ${links}` });
    expect(held.comment.status).toBe('pending');
    await edit(held.comment.id, held.editToken, 'now perfectly clean').expect(200);
    expect((await adminView(t, held.comment.id)).status).toBe('pending');

    const clean = await postComment(t, article.slug, { body: 'clean words' });
    await edit(clean.comment.id, clean.editToken, 'still clean words').expect(200);
    expect((await adminView(t, clean.comment.id)).status).toBe('approved');
    expect(await publicIds(t, article.slug)).toContain(clean.comment.id);
  });
});

describe('nobody can lock an author out', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT: 'on', TRUST_PROXY_HOPS: '1' });
    article = await createArticle(t);
  });
  afterAll(() => t.close());
  beforeEach(freshMinute);

  const patch = (id: string, ip: string, token: string, body: string) =>
    request(t.http)
      .patch(`/api/comments/${id}`)
      .set('X-Forwarded-For', ip)
      .set('X-Edit-Token', token)
      .send({ body });

  it('wrong tokens from one network answer 403, then 429 to that network only', async () => {
    const posted = await postComment(t, article.slug, { body: 'My own words' });
    const wrong = `cet_${'A'.repeat(43)}`;
    const statuses: number[] = [];
    for (let n = 0; n < 25; n++) {
      statuses.push((await patch(posted.comment.id, '203.0.113.66', wrong, `x${n}`)).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(403));
    expect(statuses.slice(20)).toEqual(Array(5).fill(429));
    // The same network, another address of it: still charged.
    await patch(posted.comment.id, '203.0.113.67', wrong, 'y').expect(429);
    // Another network guessing is refused as a wrong token, not throttled.
    await patch(posted.comment.id, '198.51.100.66', wrong, 'z').expect(403);

    // The author's token works, from anywhere, the attacker's network included.
    const mine = await patch(posted.comment.id, '192.0.2.44', posted.editToken, 'My words, fixed');
    expect(mine.status).toBe(200);
    expect(mine.body.bodyHtml).toContain('My words, fixed');
    await patch(posted.comment.id, '203.0.113.66', posted.editToken, 'Fixed again').expect(200);
    await request(t.http)
      .delete(`/api/comments/${posted.comment.id}`)
      .set('X-Forwarded-For', '203.0.113.66')
      .set('X-Edit-Token', posted.editToken)
      .expect(204);
  });

  it('wrong tokens against one comment do not spend the limits of its author’s other comments', async () => {
    const email = 'author-lockout@example.org';
    const first = await postComment(t, article.slug, { authorEmail: email, body: 'first' });
    const second = await postComment(t, article.slug, { authorEmail: email, body: 'second' });
    for (let n = 0; n < 25; n++) {
      await patch(first.comment.id, `192.0.2.${n}`, `cet_${'B'.repeat(43)}`, `x${n}`);
    }
    await patch(second.comment.id, '198.51.100.200', second.editToken, 'second, fixed').expect(200);
    await patch(first.comment.id, '198.51.100.200', first.editToken, 'first, fixed').expect(200);
  });
});
