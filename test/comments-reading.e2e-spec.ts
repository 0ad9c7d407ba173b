import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

interface Node {
  id: string;
  parentId: string | null;
  depth: number;
  authorName: string | null;
  bodyHtml: string | null;
  status: string;
  replyCount: number;
  replies: Node[];
  moreReplies: boolean;
  votes: { up: number; down: number; score: number };
  anchor: unknown;
}

async function allPages(t: TestApp, path: string, query: Record<string, string | number>) {
  const pages: Node[][] = [];
  let cursor: string | null = null;
  do {
    const res: request.Response = await request(t.http)
      .get(path)
      .query(cursor ? { ...query, cursor } : query)
      .expect(200);
    pages.push(res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor && pages.length < 50);
  return pages;
}

describe('reading threads', () => {
  let t: TestApp;
  let article: TestArticle;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
    for (let i = 0; i < 45; i++) {
      ids.push((await postComment(t, article.slug, { body: `top ${i}` })).comment.id);
    }
    // Spread creation times (several share one instant, so the id breaks ties) and give scores.
    await t.dataSource.query(
      `UPDATE comments SET created_at = timestamptz '2026-01-01' + (ord / 3) * interval '1 minute',
         up_count = ord % 4, down_count = ord % 3
       FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, ord) WHERE comments.id = o.id`,
      [ids],
    );
  });
  afterAll(() => t.close());

  it('pages 45 top-level comments by 20 in each sort: every id once, in order', async () => {
    const rows: { id: string; created_at: Date; score: number }[] = await t.dataSource.query(
      'SELECT id, created_at, score FROM comments WHERE article_id = $1',
      [article.id],
    );
    const cmpTime = (a: (typeof rows)[0], b: (typeof rows)[0]) =>
      a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : 1);
    const expected = {
      oldest: [...rows].sort(cmpTime).map((r) => r.id),
      newest: [...rows].sort((a, b) => cmpTime(b, a)).map((r) => r.id),
      top: [...rows].sort((a, b) => b.score - a.score || cmpTime(b, a)).map((r) => r.id),
    };
    for (const sort of ['newest', 'oldest', 'top'] as const) {
      const pages = await allPages(t, `/api/articles/${article.slug}/comments`, {
        sort,
        limit: 20,
      });
      expect(
        pages.map((p) => p.length),
        sort,
      ).toEqual([20, 20, 5]);
      const seen = pages.flat().map((c) => c.id);
      expect(new Set(seen).size).toBe(45);
      expect(seen, sort).toEqual(expected[sort]);
    }
  });

  it('defaults to newest first, limit 20, and reports the total', async () => {
    const res = await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    expect(res.body.items).toHaveLength(20);
    expect(res.body.total).toBe(45);
    expect(res.body.nextCursor).toEqual(expect.any(String));
  });

  it('rejects a bad sort, limit or cursor with 400 and an unknown article with 404', async () => {
    const path = `/api/articles/${article.slug}/comments`;
    await request(t.http).get(path).query({ sort: 'best' }).expect(400);
    await request(t.http).get(path).query({ limit: 0 }).expect(400);
    await request(t.http).get(path).query({ limit: 101 }).expect(400);
    await request(t.http).get(path).query({ cursor: 'garbage' }).expect(400);
    const newestCursor = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', ids[0]])).toString(
      'base64url',
    );
    // A newest/oldest cursor has two keys; top needs three.
    await request(t.http).get(path).query({ sort: 'top', cursor: newestCursor }).expect(400);
    await request(t.http).get('/api/articles/nope/comments').expect(404);
    const draft = await request(t.http)
      .post('/api/admin/articles')
      .set(t.admin)
      .send({ title: 'A draft with no public thread', body: 'Draft text.', status: 'draft' })
      .expect(201);
    await request(t.http).get(`/api/articles/${draft.body.slug}/comments`).expect(404);
    await request(t.http).get(`/api/articles/${draft.body.slug}/comments/count`).expect(404);
  });

  it('nests up to 50 replies per top-level comment and pages the rest through /replies', async () => {
    const a = await createArticle(t);
    const root = await postComment(t, a.slug);
    const replyIds: string[] = [];
    for (let i = 0; i < 53; i++) {
      const parentId = i === 5 ? replyIds[4] : root.comment.id;
      replyIds.push((await postComment(t, a.slug, { parentId })).comment.id);
    }
    await t.dataSource.query(
      `UPDATE comments SET created_at = timestamptz '2026-02-01' + ord * interval '1 second'
       FROM unnest($1::uuid[]) WITH ORDINALITY AS o(id, ord) WHERE comments.id = o.id`,
      [replyIds],
    );
    const res = await request(t.http).get(`/api/articles/${a.slug}/comments`).expect(200);
    const [top] = res.body.items as Node[];
    expect(top.replyCount).toBe(53);
    expect(top.moreReplies).toBe(true);
    const flat = (nodes: Node[]): Node[] => nodes.flatMap((n) => [n, ...flat(n.replies)]);
    const nested = flat(top.replies);
    expect(nested).toHaveLength(50);
    expect(nested.map((n) => n.id)).toEqual(replyIds.slice(0, 50));
    expect(top.replies.find((n) => n.id === replyIds[4])!.replies.map((n) => n.id)).toEqual([
      replyIds[5],
    ]);

    const pages = await allPages(t, `/api/comments/${root.comment.id}/replies`, { limit: 20 });
    expect(pages.map((p) => flat(p).length)).toEqual([20, 20, 13]);
    expect(pages.flatMap((p) => flat(p)).map((n) => n.id)).toEqual(replyIds);

    const deep = await request(t.http).get(`/api/comments/${replyIds[4]}/replies`).expect(200);
    expect(deep.body).toMatchObject({ nextCursor: null });
    expect(deep.body.items.map((n: Node) => n.id)).toEqual([replyIds[5]]);
  });

  it('answers 404 for replies of an unknown, malformed or hidden comment', async () => {
    await request(t.http)
      .get('/api/comments/00000000-0000-4000-8000-000000000000/replies')
      .expect(404);
    await request(t.http).get('/api/comments/not-a-uuid/replies').expect(404);
    const a = await createArticle(t);
    const hidden = await postComment(t, a.slug);
    await t.dataSource.query("UPDATE comments SET status = 'spam' WHERE id = $1", [
      hidden.comment.id,
    ]);
    await request(t.http).get(`/api/comments/${hidden.comment.id}/replies`).expect(404);
  });

  it('keeps a deleted comment with replies as a placeholder without author or body', async () => {
    const a = await createArticle(t);
    const root = await postComment(t, a.slug, { authorName: 'Gone Person', body: 'secret text' });
    const reply = await postComment(t, a.slug, { parentId: root.comment.id });
    const lonely = await postComment(t, a.slug);
    await t.dataSource.query("UPDATE comments SET status = 'deleted' WHERE id = ANY($1::uuid[])", [
      [root.comment.id, lonely.comment.id],
    ]);
    const res = await request(t.http)
      .get(`/api/articles/${a.slug}/comments`)
      .query({ sort: 'oldest' })
      .expect(200);
    expect(res.body.items).toHaveLength(1);
    const [placeholder] = res.body.items as Node[];
    expect(placeholder).toMatchObject({
      id: root.comment.id,
      status: 'deleted',
      authorName: null,
      bodyHtml: null,
    });
    expect(placeholder.replies.map((r) => r.id)).toEqual([reply.comment.id]);
    expect(JSON.stringify(res.body)).not.toContain('Gone Person');
    expect(JSON.stringify(res.body)).not.toContain('secret text');
  });

  it('never puts an email address in a public response', async () => {
    const a = await createArticle(t);
    const root = await postComment(t, a.slug, { authorEmail: 'private.person@example.org' });
    await postComment(t, a.slug, {
      parentId: root.comment.id,
      authorEmail: 'other.private@example.org',
    });
    const bodies = await Promise.all([
      request(t.http).get(`/api/articles/${a.slug}/comments`),
      request(t.http).get(`/api/comments/${root.comment.id}/replies`),
      request(t.http).get(`/api/articles/${a.slug}/comments/count`),
      request(t.http).get(`/articles/${a.slug}`),
    ]);
    for (const res of bodies) {
      expect(res.status).toBe(200);
      expect(res.text).not.toMatch(/private\.person|other\.private|@example\.org/);
    }
  });

  it('counts one article and many at once', async () => {
    const a = await createArticle(t);
    const b = await createArticle(t);
    await postComment(t, a.slug);
    const root = await postComment(t, b.slug);
    await postComment(t, b.slug, { parentId: root.comment.id });
    const res = await request(t.http)
      .post('/api/comments/counts')
      .send({ slugs: [a.slug, b.slug, article.slug, 'unknown-slug'] })
      .expect(200);
    expect(res.body).toEqual({ [a.slug]: 1, [b.slug]: 2, [article.slug]: 45, 'unknown-slug': 0 });
    await request(t.http).post('/api/comments/counts').send({ slugs: [] }).expect(400);
    await request(t.http)
      .post('/api/comments/counts')
      .send({ slugs: Array.from({ length: 101 }, (_, i) => `s-${i}`) })
      .expect(400);
    await request(t.http)
      .post('/api/comments/counts')
      .send({ slugs: ['Bad Slug'] })
      .expect(400);
  });
});
