import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

const voter = (n: number) => `voter-${String(n).padStart(12, '0')}`;

describe('votes', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  it('counts one vote per voter; repeating it changes nothing; 0 takes it back', async () => {
    const { comment } = await postComment(t, article.slug);
    const vote = (id: string, value: number) =>
      request(t.http).put(`/api/comments/${comment.id}/vote`).set('X-Voter-Id', id).send({ value });
    expect((await vote(voter(1), 1).expect(200)).body).toEqual({
      up: 1,
      down: 0,
      score: 1,
      myVote: 1,
    });
    expect((await vote(voter(1), 1).expect(200)).body).toEqual({
      up: 1,
      down: 0,
      score: 1,
      myVote: 1,
    });
    expect((await vote(voter(2), -1).expect(200)).body).toEqual({
      up: 1,
      down: 1,
      score: 0,
      myVote: -1,
    });
    expect((await vote(voter(1), -1).expect(200)).body).toEqual({
      up: 0,
      down: 2,
      score: -2,
      myVote: -1,
    });
    expect((await vote(voter(2), 0).expect(200)).body).toEqual({
      up: 0,
      down: 1,
      score: -1,
      myVote: 0,
    });
    const list = await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    expect(list.body.items.find((c: { id: string }) => c.id === comment.id).votes).toEqual({
      up: 0,
      down: 1,
      score: -1,
    });
  });

  it('keeps counters equal to the vote rows under concurrent votes', async () => {
    const { comment } = await postComment(t, article.slug);
    const requests = Array.from({ length: 40 }, (_, i) =>
      request(t.http)
        .put(`/api/comments/${comment.id}/vote`)
        .set('X-Voter-Id', voter(100 + (i % 25)))
        .send({ value: i % 3 === 0 ? -1 : 1 }),
    );
    const results = await Promise.all(requests);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    const [counts] = await t.dataSource.query(
      `SELECT c.up_count, c.down_count,
         (SELECT count(*)::int FROM comment_votes v WHERE v.comment_id = c.id AND v.value = 1) AS up_rows,
         (SELECT count(*)::int FROM comment_votes v WHERE v.comment_id = c.id AND v.value = -1) AS down_rows
       FROM comments c WHERE c.id = $1`,
      [comment.id],
    );
    expect(counts.up_count).toBe(counts.up_rows);
    expect(counts.down_count).toBe(counts.down_rows);
    expect(counts.up_rows + counts.down_rows).toBe(25);
  });

  it('validates the voter id and the value; 404 for unknown or hidden comments', async () => {
    const { comment } = await postComment(t, article.slug);
    const path = `/api/comments/${comment.id}/vote`;
    await request(t.http).put(path).send({ value: 1 }).expect(400);
    await request(t.http).put(path).set('X-Voter-Id', 'short').send({ value: 1 }).expect(400);
    await request(t.http)
      .put(path)
      .set('X-Voter-Id', 'x'.repeat(129))
      .send({ value: 1 })
      .expect(400);
    await request(t.http).put(path).set('X-Voter-Id', voter(1)).send({ value: 2 }).expect(400);
    await request(t.http).put(path).set('X-Voter-Id', voter(1)).send({ value: '1' }).expect(400);
    await request(t.http).put(path).set('X-Voter-Id', voter(1)).send({}).expect(400);
    await request(t.http)
      .put('/api/comments/00000000-0000-4000-8000-000000000000/vote')
      .set('X-Voter-Id', voter(1))
      .send({ value: 1 })
      .expect(404);
    await t.dataSource.query("UPDATE comments SET status = 'pending' WHERE id = $1", [comment.id]);
    await request(t.http).put(path).set('X-Voter-Id', voter(1)).send({ value: 1 }).expect(404);
  });

  it('orders the "top" sort by score', async () => {
    const a = await createArticle(t);
    const low = await postComment(t, a.slug);
    const high = await postComment(t, a.slug);
    const mid = await postComment(t, a.slug);
    for (const [id, voters] of [
      [high.comment.id, 3],
      [mid.comment.id, 1],
    ] as const) {
      for (let i = 0; i < voters; i++) {
        await request(t.http)
          .put(`/api/comments/${id}/vote`)
          .set('X-Voter-Id', voter(200 + i))
          .send({ value: 1 })
          .expect(200);
      }
    }
    const res = await request(t.http)
      .get(`/api/articles/${a.slug}/comments`)
      .query({ sort: 'top' })
      .expect(200);
    expect(res.body.items.map((c: { id: string }) => c.id)).toEqual([
      high.comment.id,
      mid.comment.id,
      low.comment.id,
    ]);
  });
});

describe('editing and deleting by the author', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  it('edits within the window with the token and keeps every revision', async () => {
    const { comment, editToken } = await postComment(t, article.slug, { body: 'first *draft*' });
    const res = await request(t.http)
      .patch(`/api/comments/${comment.id}`)
      .set('X-Edit-Token', editToken)
      .send({ body: 'second **take** <img src=x onerror=alert(1)>' })
      .expect(200);
    expect(res.body.bodyHtml).toBe(
      '<p>second <strong>take</strong> &lt;img src=x onerror=alert(1)&gt;</p>\n',
    );
    expect(res.body.editedAt).toEqual(expect.any(String));
    await request(t.http)
      .patch(`/api/comments/${comment.id}`)
      .set('X-Edit-Token', editToken)
      .send({ body: 'third' })
      .expect(200);
    const revisions = await t.dataSource.query(
      'SELECT body_source, edited_by FROM comment_revisions WHERE comment_id = $1 ORDER BY created_at',
      [comment.id],
    );
    expect(revisions).toEqual([
      { body_source: 'first *draft*', edited_by: 'author' },
      { body_source: 'second **take** <img src=x onerror=alert(1)>', edited_by: 'author' },
    ]);
    const list = await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    expect(list.body.items.find((c: { id: string }) => c.id === comment.id).bodyHtml).toBe(
      '<p>third</p>\n',
    );
  });

  it('answers 403 for a wrong or missing token', async () => {
    const { comment, editToken } = await postComment(t, article.slug);
    const wrong = `${editToken.slice(0, -2)}xx`;
    for (const token of [wrong, 'cet_short', undefined]) {
      const patch = request(t.http).patch(`/api/comments/${comment.id}`);
      const del = request(t.http).delete(`/api/comments/${comment.id}`);
      if (token) {
        void patch.set('X-Edit-Token', token);
        void del.set('X-Edit-Token', token);
      }
      await patch.send({ body: 'hijack' }).expect(403);
      await del.expect(403);
    }
    const [row] = await t.dataSource.query(
      'SELECT body_source, status FROM comments WHERE id = $1',
      [comment.id],
    );
    expect(row.status).toBe('approved');
    expect(row.body_source).not.toBe('hijack');
  });

  it('answers 409 once the 15-minute window is over', async () => {
    const { comment, editToken } = await postComment(t, article.slug);
    await t.dataSource.query(
      "UPDATE comments SET editable_until = now() - interval '1 second' WHERE id = $1",
      [comment.id],
    );
    const res = await request(t.http)
      .patch(`/api/comments/${comment.id}`)
      .set('X-Edit-Token', editToken)
      .send({ body: 'late' })
      .expect(409);
    expect(res.body.message).toBe('the edit window of this comment has closed');
    await request(t.http)
      .delete(`/api/comments/${comment.id}`)
      .set('X-Edit-Token', editToken)
      .expect(409);
  });

  it('answers 409 once the comment has a reply', async () => {
    const { comment, editToken } = await postComment(t, article.slug);
    await postComment(t, article.slug, { parentId: comment.id });
    const res = await request(t.http)
      .patch(`/api/comments/${comment.id}`)
      .set('X-Edit-Token', editToken)
      .send({ body: 'changed after a reply' })
      .expect(409);
    expect(res.body.message).toBe('this comment has replies and can no longer be changed');
    await request(t.http)
      .delete(`/api/comments/${comment.id}`)
      .set('X-Edit-Token', editToken)
      .expect(409);
  });

  it('deletes: 204, gone from the thread, counters back down, then 404', async () => {
    const a = await createArticle(t);
    const root = await postComment(t, a.slug);
    const reply = await postComment(t, a.slug, { parentId: root.comment.id });
    let art = await request(t.http).get(`/api/articles/${a.slug}`).expect(200);
    expect(art.body.commentCount).toBe(2);
    await request(t.http)
      .delete(`/api/comments/${reply.comment.id}`)
      .set('X-Edit-Token', reply.editToken)
      .expect(204);
    art = await request(t.http).get(`/api/articles/${a.slug}`).expect(200);
    expect(art.body.commentCount).toBe(1);
    const list = await request(t.http).get(`/api/articles/${a.slug}/comments`).expect(200);
    expect(list.body.items[0]).toMatchObject({ id: root.comment.id, replyCount: 0, replies: [] });
    await request(t.http)
      .delete(`/api/comments/${reply.comment.id}`)
      .set('X-Edit-Token', reply.editToken)
      .expect(404);
    await request(t.http)
      .patch(`/api/comments/${reply.comment.id}`)
      .set('X-Edit-Token', reply.editToken)
      .send({ body: 'back' })
      .expect(404);
  });

  it('validates the edit body like a new comment', async () => {
    const { comment, editToken } = await postComment(t, article.slug);
    for (const body of [{ body: '' }, { body: 'x'.repeat(10001) }, { body: 'ok', extra: 1 }, {}]) {
      await request(t.http)
        .patch(`/api/comments/${comment.id}`)
        .set('X-Edit-Token', editToken)
        .send(body)
        .expect(400);
    }
  });
});
