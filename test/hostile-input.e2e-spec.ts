import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';
import { commentInput, createArticle, postComment, TestArticle } from './factories/comments';

/** A cursor as a forger makes one: base64url of any JSON text. */
const forge = (json: string) => Buffer.from(json, 'utf8').toString('base64url');

const UUID = '6f1c3a52-8d0e-4b7a-9a51-2f4b1c0d9e11';
const TIME = '2026-03-01T10:00:00.123456Z';

/** Issue 9 §8: cursors that answered 500 on main, each in the place a value of another type belongs. */
const FORGED_TIME_ID: [string, string][] = [
  ['SQL where a timestamp belongs', `["x'); DROP TABLE x;--","${UUID}"]`],
  ['1e308 where a timestamp belongs', `[1e308,"${UUID}"]`],
  ['a lone surrogate where a timestamp belongs', `["\\ud800","${UUID}"]`],
  ['two words', '["x","y"]'],
  ['a 31st of February', `["2026-02-31T10:00:00.000000Z","${UUID}"]`],
  ['a year 0 timestamp', `["0000-01-01T00:00:00Z","${UUID}"]`],
  ['a timestamp where the id belongs', `["${TIME}","${TIME}"]`],
];

const FORGED_THREAD: [string, string, string][] = [
  ['newest', 'SQL where a timestamp belongs', `[0,"x'); DROP TABLE x;--","${UUID}"]`],
  ['oldest', '1e308 where a timestamp belongs', `[0,1e308,"${UUID}"]`],
  ['newest', 'a lone surrogate where a timestamp belongs', `[0,"\\ud800","${UUID}"]`],
  ['top', '2147483648 as a score', `[0,2147483648,"${TIME}","${UUID}"]`],
  ['top', '1e308 as a score', `[0,1e308,"${TIME}","${UUID}"]`],
  ['top', 'a fractional score', `[0,1.5,"${TIME}","${UUID}"]`],
  ['newest', 'pinned 7', `[7,"${TIME}","${UUID}"]`],
  ['newest', 'two words', '["x","y"]'],
  ['top', 'SQL where an id belongs', `[0,1,"${TIME}","x'); DROP TABLE x;--"]`],
];

describe('hostile input answers 4xx, never 500', () => {
  let t: TestApp;
  let article: TestArticle;
  let commentId: string;

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
    commentId = (await postComment(t, article.slug)).comment.id;
  });
  afterAll(() => t.close());

  describe('forged cursors', () => {
    const lists = (): [string, Record<string, string>][] => [
      ['/api/articles', {}],
      [`/api/comments/${commentId}/replies`, {}],
      ['/api/admin/articles', t.admin],
      ['/api/admin/emails', t.admin],
      ['/api/admin/subscribers', t.admin],
      ['/api/admin/comments?status=pending', t.admin],
      ['/api/admin/comments?status=reported', t.admin],
    ];

    it.each(FORGED_TIME_ID)('a cursor with %s is a 400 on every list', async (_what, json) => {
      for (const [path, headers] of lists()) {
        const sep = path.includes('?') ? '&' : '?';
        const res = await request(t.http)
          .get(`${path}${sep}cursor=${forge(json)}`)
          .set(headers);
        expect({ path, status: res.status, body: res.body as unknown }).toEqual({
          path,
          status: 400,
          body: { statusCode: 400, error: 'Bad Request', message: 'cursor is not valid' },
        });
      }
    });

    it.each(FORGED_THREAD)(
      'sort=%s with %s is a 400 on the thread API and on the article page',
      async (sort, _what, json) => {
        const api = await request(t.http).get(
          `/api/articles/${article.slug}/comments?sort=${sort}&cursor=${forge(json)}`,
        );
        expect(api.status).toBe(400);
        expect(api.body).toMatchObject({ message: 'cursor is not valid' });
        const page = await request(t.http)
          .get(`/articles/${article.slug}?sort=${sort}&cursor=${forge(json)}`)
          .set('Accept', 'text/html');
        expect(page.status).toBe(400);
        expect(page.text).toContain('cursor is not valid');
      },
    );

    it('a cursor that is not JSON, or not base64url, is a 400', async () => {
      for (const cursor of ['%%%', forge('{"a":1}'), forge('['), forge('[]')]) {
        const res = await request(t.http).get(`/api/articles?cursor=${cursor}`);
        expect(res.status).toBe(400);
      }
    });

    it('changed nothing: the tables are there and the thread still reads', async () => {
      const res = await request(t.http).get(`/api/articles/${article.slug}/comments`);
      expect(res.status).toBe(200);
      expect((res.body as { items: { id: string }[] }).items.map((c) => c.id)).toEqual([commentId]);
    });

    it('a cursor the API made itself still pages', async () => {
      const res = await request(t.http).get('/api/admin/articles?limit=1').set(t.admin);
      expect(res.status).toBe(200);
      const next = await request(t.http)
        .get(
          `/api/admin/articles?limit=1&cursor=${(res.body as { nextCursor: string }).nextCursor}`,
        )
        .set(t.admin);
      expect(next.status).toBe(200);
      const first = (res.body as { items: { id: string }[] }).items[0].id;
      expect((next.body as { items: { id: string }[] }).items[0].id).not.toBe(first);
    });
  });
});

describe('hostile input: keys, addresses, names and unpublished articles', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    // One proxy hop is believed, so each test can act as its own client through X-Forwarded-For.
    t = await createTestApp({ RATE_LIMIT: 'on', TRUST_PROXY_HOPS: '1' });
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  // Limits are fixed one-minute windows: start each test with at least 10 seconds left.
  beforeEach(async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, left + 50));
    }
  });

  const post = (ip: string, overrides: Record<string, unknown> = {}) =>
    request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .set('X-Forwarded-For', ip)
      .send(commentInput(overrides));

  describe('rate limits key one client once, however its address is written', () => {
    it('an IPv4-mapped IPv6 address is the IPv4 address', async () => {
      const statuses: number[] = [];
      for (const ip of ['203.0.113.9', '::ffff:203.0.113.9', '::FFFF:cb00:7109', '203.0.113.9']) {
        statuses.push((await post(ip)).status);
      }
      statuses.push((await post('0:0:0:0:0:ffff:203.0.113.9')).status);
      statuses.push((await post('::ffff:203.0.113.9')).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
      expect((await post('203.0.113.10')).status).toBe(201);
    });

    it('IPv6 counts per /64, and textual variants are one address', async () => {
      const statuses: number[] = [];
      for (const ip of [
        '2001:db8:1:2::1',
        '2001:0DB8:0001:0002:0000:0000:0000:0002',
        '2001:db8:1:2:ffff:ffff:ffff:ffff',
        '2001:db8:1:2:abcd::7',
        '2001:DB8:1:2::99',
        '2001:db8:1:2:1234:5678:9abc:def0',
      ]) {
        statuses.push((await post(ip)).status);
      }
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
      // The neighbouring /64 is another client.
      expect((await post('2001:db8:1:3::1')).status).toBe(201);
    });
  });

  describe('email addresses', () => {
    it.each([
      ['a zero-width space', 'rea\u200bder@example.com'],
      ['a zero-width joiner', 'reader\u200d@example.com'],
      ['a right-to-left override', '\u202ereader@example.com'],
      ['a left-to-right mark', 'reader@exa\u200emple.com'],
      ['a soft hyphen', 'rea\u00adder@example.com'],
      ['a word joiner', 'reader\u2060@example.com'],
    ])('an address with %s is refused with 400 everywhere', async (_what, email) => {
      const comment = await post('198.18.0.1', { authorEmail: email });
      expect(comment.status).toBe(400);
      expect(JSON.stringify(comment.body)).toContain('invisible');
      const signup = await request(t.http)
        .post('/api/newsletter/subscriptions')
        .set('X-Forwarded-For', '198.18.0.2')
        .send({ email, consent: true });
      expect(signup.status).toBe(400);
      const notify = await request(t.http)
        .post(`/api/articles/${article.slug}/subscriptions`)
        .set('X-Forwarded-For', '198.18.0.3')
        .send({ email, kind: 'followups', consent: true });
      expect(notify.status).toBe(400);
      const people = await request(t.http)
        .get(`/api/admin/people/${encodeURIComponent(email)}/export`)
        .set(t.admin);
      expect(people.status).toBe(400);
      const [{ n }] = await t.dataSource.query(
        "SELECT count(*)::int AS n FROM subscriptions WHERE email LIKE '%' || $1 || '%'",
        [email.slice(-12)],
      );
      expect(n).toBe(0);
    });

    it('confirmation mails are capped per mailbox: a+tag@x and A@x are a@x', async () => {
      const addresses = [
        'capped+1@example.com',
        'capped+2@example.com',
        'Capped+news@example.com',
        'CAPPED@example.com',
        'capped+5@Example.com',
      ];
      for (const [i, email] of addresses.entries()) {
        const res = await request(t.http)
          .post('/api/newsletter/subscriptions')
          .set('X-Forwarded-For', `198.18.1.${i + 1}`)
          .send({ email, consent: true });
        expect(res.status).toBe(202);
      }
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM email_outbox
         WHERE template = 'confirm-subscription' AND lower(recipient) LIKE 'capped%@example.com'`,
      );
      expect(n).toBe(3);
    });
  });

  describe('names and report reasons', () => {
    it.each([
      ['zero-width spaces', '\u200b\u200b\u200b'],
      ['a Hangul filler', '\u3164'],
      ['a Braille blank', '\u2800\u2800'],
      ['combining marks alone', '\u0301\u0301'],
      ['a word joiner and a space', '\u2060 '],
    ])('a comment author named with %s is refused', async (_what, authorName) => {
      const res = await post('198.18.2.1', { authorName });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('authorName must contain a visible character');
    });

    it('a newsletter name must show something too', async () => {
      const res = await request(t.http)
        .post('/api/newsletter/subscriptions')
        .set('X-Forwarded-For', '198.18.2.2')
        .send({ email: 'named@example.com', name: '\u3164', consent: true });
      expect(res.status).toBe(400);
    });

    it('a report reason of blanks, or with a control character, is refused (API and page)', async () => {
      const { comment } = await postComment(t, article.slug);
      for (const reason of ['\u200b\u200b', '\u2800']) {
        const res = await request(t.http)
          .post(`/api/comments/${comment.id}/reports`)
          .set('X-Forwarded-For', '198.18.3.1')
          .set('X-Voter-Id', 'reporter-0000000001')
          .send({ reason });
        expect(res.status).toBe(400);
      }
      const page = await request(t.http)
        .post(`/comments/${comment.id}/report`)
        .set('X-Forwarded-For', '198.18.3.2')
        .set('Origin', 'http://marginalia.test')
        .set('Sec-Fetch-Site', 'same-origin')
        .type('form')
        .send({ reason: 'spam\u0007\u0008 here' });
      expect(page.status).toBe(400);
      const rows: unknown[] = await t.dataSource.query(
        'SELECT 1 FROM comment_reports WHERE comment_id = $1',
        [comment.id],
      );
      expect(rows).toEqual([]);
    });
  });

  describe('votes and reports need a published article', () => {
    it('a comment of an unpublished article answers 404 to votes and reports', async () => {
      const draft = await createArticle(t);
      const { comment } = await postComment(t, draft.slug);
      const unpublish = await request(t.http)
        .patch(`/api/admin/articles/${draft.slug}`)
        .set(t.admin)
        .send({ status: 'draft' });
      expect(unpublish.status).toBe(200);
      const vote = await request(t.http)
        .put(`/api/comments/${comment.id}/vote`)
        .set('X-Forwarded-For', '198.18.4.1')
        .set('X-Voter-Id', 'voter-unpublished-01')
        .send({ value: 1 });
      expect(vote.status).toBe(404);
      const report = await request(t.http)
        .post(`/api/comments/${comment.id}/reports`)
        .set('X-Forwarded-For', '198.18.4.1')
        .set('X-Voter-Id', 'voter-unpublished-01')
        .send({ reason: 'spam' });
      expect(report.status).toBe(404);
      const [row] = await t.dataSource.query(
        `SELECT up_count, (SELECT count(*)::int FROM comment_reports WHERE comment_id = $1) AS reports
         FROM comments WHERE id = $1`,
        [comment.id],
      );
      expect(row).toEqual({ up_count: 0, reports: 0 });
    });

    it('an unknown comment answers 404 to votes and reports', async () => {
      const id = '00000000-0000-4000-8000-000000000000';
      const vote = await request(t.http)
        .put(`/api/comments/${id}/vote`)
        .set('X-Forwarded-For', '198.18.4.2')
        .set('X-Voter-Id', 'voter-unknown-000001')
        .send({ value: 1 });
      expect(vote.status).toBe(404);
      const report = await request(t.http)
        .post(`/api/comments/${id}/reports`)
        .set('X-Forwarded-For', '198.18.4.2')
        .set('X-Voter-Id', 'voter-unknown-000001')
        .send({ reason: 'spam' });
      expect(report.status).toBe(404);
    });
  });
});
