import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';
import { createArticle, postComment, TestArticle } from './factories/comments';

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
