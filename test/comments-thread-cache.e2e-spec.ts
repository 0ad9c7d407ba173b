import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgNotifications } from '../src/database/pg-notifications';
import { commentInput, createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

describe('the public thread cache (THREAD_CACHE_MS)', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp({ THREAD_CACHE_MS: '60000' });
    // Without the change feed (as while it reconnects) only the expiry and own writes clear it;
    // test/scale-out.e2e-spec.ts covers the feed.
    await t.app.get(PgNotifications).onModuleDestroy();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  const thread = async () =>
    (await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200)).body as {
      items: { id: string; authorName: string }[];
      total: number;
    };

  it('serves a repeated read from memory: a change made behind its back is not seen yet', async () => {
    await postComment(t, article.slug, { authorName: 'First' });
    expect((await thread()).total).toBe(1);
    await t.dataSource.query("UPDATE comments SET author_name = 'Changed in SQL'");
    expect((await thread()).items.map((c) => c.authorName)).toEqual(['First']);
  });

  it('drops the article’s pages on a write through this instance, so a writer reads its own change', async () => {
    const posted = await postComment(t, article.slug, { authorName: 'Second' });
    const after = await thread();
    expect(after.total).toBe(2);
    expect(after.items.map((c) => c.id)).toContain(posted.comment.id);
    expect(after.items.map((c) => c.authorName)).toContain('Changed in SQL');
  });

  it('is left as it was by writes that are refused, so junk posts cannot keep a hot page uncached', async () => {
    const before = await thread();
    await t.dataSource.query("UPDATE comments SET author_name = 'Changed again in SQL'");
    const slug = article.slug;
    const refused: [string, () => request.Test][] = [
      ['invalid body', () => request(t.http).post(`/api/articles/${slug}/comments`).send({})],
      [
        'unknown article',
        () => request(t.http).post('/api/articles/no-such-article/comments').send(commentInput()),
      ],
      [
        'wrong charset',
        () =>
          request(t.http)
            .post(`/api/articles/${slug}/comments`)
            .set('Content-Type', 'application/json; charset=latin1')
            .send(JSON.stringify(commentInput())),
      ],
      [
        'vote on an unknown comment',
        () =>
          request(t.http)
            .put('/api/comments/00000000-0000-4000-8000-000000000000/vote')
            .set('X-Voter-Id', 'voter-0123456789abcdef')
            .send({ value: 1 }),
      ],
      ['unknown route', () => request(t.http).post('/api/no-such-route').send({})],
    ];
    for (const [what, send] of refused) {
      const res = await send();
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(res.status, what).toBeLessThan(500);
    }
    const after = await thread();
    expect(after).toEqual(before);
    expect(after.items.map((c) => c.authorName)).not.toContain('Changed again in SQL');
  });

  it('drops only the pages of the article a comment is posted to, voted on, reported or edited in; a count read sent as POST drops nothing', async () => {
    const other = await createArticle(t);
    const otherPosted = await postComment(t, other.slug, { authorName: 'Elsewhere' });
    const otherThread = async () =>
      (await request(t.http).get(`/api/articles/${other.slug}/comments`).expect(200)).body as {
        items: { authorName: string }[];
      };
    expect((await otherThread()).items.map((c) => c.authorName)).toEqual(['Elsewhere']);
    await t.dataSource.query("UPDATE comments SET author_name = 'Renamed behind its back'");

    const posted = await postComment(t, article.slug, { authorName: 'Here' });
    expect((await thread()).items.map((c) => c.id)).toContain(posted.comment.id);
    await request(t.http)
      .post('/api/comments/counts')
      .send({ slugs: [article.slug, other.slug] })
      .expect(200);
    // The other article's page was kept through both: the change made in SQL is not seen yet.
    expect((await otherThread()).items.map((c) => c.authorName)).toEqual(['Elsewhere']);

    // A vote drops the pages of its comment's article, and only those.
    const vote = (id: string) =>
      request(t.http)
        .put(`/api/comments/${id}/vote`)
        .set('X-Voter-Id', 'voter-0123456789abcdef')
        .send({ value: 1 })
        .expect(200);
    await vote(otherPosted.comment.id);
    expect((await otherThread()).items.map((c) => c.authorName)).toEqual([
      'Renamed behind its back',
    ]);
    await t.dataSource.query("UPDATE comments SET author_name = 'Renamed once more'");
    await vote(posted.comment.id);
    expect((await thread()).items.map((c) => c.authorName)).toContain('Renamed once more');
    expect((await otherThread()).items.map((c) => c.authorName)).toEqual([
      'Renamed behind its back',
    ]);

    // So do a report and an author's edit: they name a comment too.
    await t.dataSource.query("UPDATE comments SET author_name = 'Renamed a third time'");
    await request(t.http)
      .post(`/api/comments/${posted.comment.id}/reports`)
      .set('X-Voter-Id', 'voter-0123456789abcdef')
      .send({ reason: 'off topic' })
      .expect(202);
    expect((await thread()).items.map((c) => c.authorName)).toContain('Renamed a third time');
    expect((await otherThread()).items.map((c) => c.authorName)).toEqual([
      'Renamed behind its back',
    ]);
    await t.dataSource.query("UPDATE comments SET author_name = 'Renamed a fourth time'");
    await request(t.http)
      .patch(`/api/comments/${posted.comment.id}`)
      .set('X-Edit-Token', posted.editToken)
      .send({ body: 'Edited by its author' })
      .expect(200);
    expect((await thread()).items.map((c) => c.authorName)).toContain('Renamed a fourth time');
    expect((await otherThread()).items.map((c) => c.authorName)).toEqual([
      'Renamed behind its back',
    ]);
  });

  it('serves a kept page as the same bytes as a fresh one: the same JSON, length and ETag, in any script', async () => {
    const text = 'Café — 日本語 🎉 «guillemets»';
    await postComment(t, article.slug, { authorName: 'Zoë Ünal', body: text });
    const url = `/api/articles/${article.slug}/comments`;
    const fresh = await request(t.http).get(url).expect(200);
    const kept = await request(t.http).get(url).expect(200);
    expect(kept.text).toBe(fresh.text);
    expect(kept.text).toContain('Zoë Ünal');
    expect(kept.text).toContain('日本語 🎉');
    for (const res of [fresh, kept]) {
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    }
    expect(kept.headers.etag).toBe(fresh.headers.etag);
    await request(t.http).get(url).set('If-None-Match', String(fresh.headers.etag)).expect(304);
  });

  it('answers a kept page before the controller as the controller would: its headers, its refusals, a writer reading around it', async () => {
    await postComment(t, article.slug, { authorName: 'Kept' });
    const url = `/api/articles/${article.slug}/comments`;
    const fresh = await request(t.http).get(url).expect(200);
    const kept = await request(t.http).get(url).expect(200);
    // Every header but the two that differ per answer.
    const stable = (headers: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(headers).filter(([name]) => name !== 'date' && name !== 'x-request-id'),
      );
    expect(stable(kept.headers)).toEqual(stable(fresh.headers));
    expect(kept.headers['cache-control']).toBe('public, max-age=0, s-maxage=5');

    // What validation refuses stays refused with the page kept, in whatever form it comes.
    for (const query of [
      'limit=20&bogus=1',
      'limit=20&limit=20',
      'sort=best',
      'limit=0',
      'limit=101',
      `cursor=${'x'.repeat(600)}`,
      'anchor=not%20a%20block',
    ]) {
      const res = await request(t.http).get(`${url}?${query}`);
      expect(res.status, query).toBe(400);
    }
    // What it accepts in another spelling is the same page.
    for (const query of [
      'limit=020',
      'limit=2e1',
      'sort=newest&limit=20',
      'limit=20&sort=newest',
    ]) {
      const res = await request(t.http).get(`${url}?${query}`).expect(200);
      expect(res.text, query).toBe(kept.text);
    }

    // A writer within its freshness window reads around the kept page, as the controller does.
    await t.dataSource.query("UPDATE comments SET author_name = 'Seen by the writer'");
    expect((await thread()).items.map((c) => c.authorName)).not.toContain('Seen by the writer');
    const writer = await request(t.http)
      .get(url)
      .set('Cookie', `marginalia_fresh=${Date.now() + 60_000}`)
      .expect(200);
    expect(writer.text).toContain('Seen by the writer');
  });
});
