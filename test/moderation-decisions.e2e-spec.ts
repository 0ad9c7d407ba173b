import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment } from './factories/comments';
import {
  adminToken,
  approve,
  countersAndTruth,
  insertPendingComments,
  recordEvents,
} from './factories/moderation';
import { createTestApp, TestApp } from './support/app';

interface AdminItem {
  id: string;
  status: string;
  bodyHtml: string;
  editedAt: string | null;
  reasons: string[];
}

interface AuditItem {
  actor: string;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  reason: string | null;
  at: string;
}

describe('moderation decisions', () => {
  let t: TestApp;
  let events: { published: string[]; withdrawn: string[] };
  let moderator: { Authorization: string };

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'all' });
    events = recordEvents(t);
    moderator = await adminToken(t, 'mod-mia', 'moderator');
  });
  afterAll(() => t.close());

  const history = async (id: string): Promise<AuditItem[]> =>
    (await request(t.http).get(`/api/admin/comments/${id}/events`).set(t.admin).expect(200)).body
      .items as AuditItem[];

  const publicThread = async (slug: string) =>
    (await request(t.http).get(`/api/articles/${slug}/comments`).expect(200)).body as {
      items: { id: string; bodyHtml: string | null; authorName: string | null; status: string }[];
      total: number;
    };

  it('pages the queue newest first, each comment exactly once, filtered by article', async () => {
    const a = await createArticle(t);
    const b = await createArticle(t);
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      ids.push((await postComment(t, a.slug)).comment.id);
    }
    await postComment(t, b.slug);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await request(t.http)
        .get('/api/admin/comments')
        .query({ status: 'pending', article: a.slug, limit: 3, cursor })
        .set(moderator)
        .expect(200);
      seen.push(...(res.body.items as AdminItem[]).map((i) => i.id));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    await request(t.http)
      .get('/api/admin/comments')
      .query({ status: 'deleted' })
      .set(t.admin)
      .expect(400);
    await request(t.http)
      .get('/api/admin/comments')
      .query({ cursor: 'garbage' })
      .set(t.admin)
      .expect(400);
  });

  it('approving publishes at once: counts, inline counts, the public thread and an event', async () => {
    const a = await createArticle(t);
    const block = a.blocks[0];
    const { comment } = await postComment(t, a.slug, { anchor: { blockId: block.id } });
    expect((await publicThread(a.slug)).total).toBe(0);
    const res = await approve(t, comment.id, moderator).expect(200);
    expect(res.body).toMatchObject({ id: comment.id, status: 'approved', articleSlug: a.slug });
    const thread = await publicThread(a.slug);
    expect(thread.total).toBe(1);
    expect(thread.items.map((i) => i.id)).toEqual([comment.id]);
    const counts = await request(t.http).get(`/api/articles/${a.slug}/comments/count`).expect(200);
    expect(counts.body).toEqual({ total: 1, inline: { [block.id]: 1 } });
    const article = await request(t.http).get(`/api/articles/${a.slug}`).expect(200);
    expect(article.body.commentCount).toBe(1);
    expect(article.body.blocks[0].inlineCount).toBe(1);
    expect(events.published).toContain(comment.id);

    await request(t.http)
      .patch(`/api/admin/comments/${comment.id}`)
      .set(moderator)
      .send({ status: 'spam', reason: 'link farm' })
      .expect(200);
    expect((await publicThread(a.slug)).total).toBe(0);
    const after = await request(t.http).get(`/api/articles/${a.slug}/comments/count`).expect(200);
    expect(after.body).toEqual({ total: 0, inline: {} });
    expect(events.withdrawn).toContain(comment.id);
    const stored = await countersAndTruth(t, a.id);
    expect(stored.stored).toEqual(stored.fresh);

    expect(await history(comment.id)).toMatchObject([
      { actor: 'author', action: 'comment.arrive', fromStatus: null, toStatus: 'pending' },
      { actor: 'mod-mia', action: 'comment.approve', fromStatus: 'pending', toStatus: 'approved' },
      {
        actor: 'mod-mia',
        action: 'comment.spam',
        fromStatus: 'approved',
        toStatus: 'spam',
        reason: 'link farm',
      },
    ]);
  });

  it('moves between every pair of statuses, counting only approved', async () => {
    const a = await createArticle(t);
    const { comment } = await postComment(t, a.slug);
    const path = [
      'approved',
      'trash',
      'approved',
      'pending',
      'spam',
      'trash',
      'pending',
      'approved',
    ];
    for (const status of path) {
      const res = await request(t.http)
        .patch(`/api/admin/comments/${comment.id}`)
        .set(t.admin)
        .send({ status })
        .expect(200);
      expect(res.body.status).toBe(status);
      const { stored, fresh } = await countersAndTruth(t, a.id);
      expect(stored).toEqual(fresh);
      expect((stored as { total: number }).total).toBe(status === 'approved' ? 1 : 0);
    }
    const [arrival, ...trail] = await history(comment.id);
    expect(arrival.action).toBe('comment.arrive');
    expect(trail.map((e) => e.toStatus)).toEqual(path);
    expect(trail.every((e) => e.actor === 'ADMIN_TOKEN')).toBe(true);
  });

  it('keeps reply counts right when a reply is approved and withdrawn', async () => {
    const a = await createArticle(t);
    const root = await postComment(t, a.slug);
    await approve(t, root.comment.id).expect(200);
    const reply = await postComment(t, a.slug, { parentId: root.comment.id });
    await approve(t, reply.comment.id).expect(200);
    let [row] = await t.dataSource.query('SELECT reply_count FROM comments WHERE id = $1', [
      root.comment.id,
    ]);
    expect(row.reply_count).toBe(1);
    await request(t.http)
      .patch(`/api/admin/comments/${reply.comment.id}`)
      .set(t.admin)
      .send({ status: 'trash' })
      .expect(200);
    [row] = await t.dataSource.query('SELECT reply_count FROM comments WHERE id = $1', [
      root.comment.id,
    ]);
    expect(row.reply_count).toBe(0);
  });

  it('lets a moderator edit the body: re-rendered, sanitized, kept as a moderator revision', async () => {
    const a = await createArticle(t);
    const { comment } = await postComment(t, a.slug, { body: 'Buy **now** at spam.example' });
    await approve(t, comment.id).expect(200);
    const res = await request(t.http)
      .patch(`/api/admin/comments/${comment.id}`)
      .set(moderator)
      .send({ body: '*[link removed]* <script>alert(1)</script>', reason: 'removed a link' })
      .expect(200);
    expect(res.body.bodyHtml).toBe(
      '<p><em>[link removed]</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n',
    );
    expect(res.body.editedAt).not.toBeNull();
    const thread = await publicThread(a.slug);
    expect(thread.items[0].bodyHtml).toBe(res.body.bodyHtml);
    const revisions = await t.dataSource.query(
      'SELECT body_source, edited_by FROM comment_revisions WHERE comment_id = $1',
      [comment.id],
    );
    expect(revisions).toEqual([
      { body_source: 'Buy **now** at spam.example', edited_by: 'moderator:mod-mia' },
    ]);
    const trail = await history(comment.id);
    expect(trail[trail.length - 1]).toMatchObject({
      actor: 'mod-mia',
      action: 'comment.edit',
      reason: 'removed a link',
    });
  });

  it('shows the author their own held comment with the edit token, and no one else', async () => {
    const a = await createArticle(t);
    const posted = await postComment(t, a.slug);
    const own = (token?: string) => {
      const req = request(t.http).get(`/api/comments/${posted.comment.id}`);
      return token ? req.set('X-Edit-Token', token) : req;
    };
    const mine = await own(posted.editToken).expect(200);
    expect(mine.body).toMatchObject({ id: posted.comment.id, status: 'pending' });
    expect(mine.body).not.toHaveProperty('authorEmail');
    await own().expect(403);
    await own('cet_wrong').expect(403);
    await request(t.http)
      .patch(`/api/admin/comments/${posted.comment.id}`)
      .set(t.admin)
      .send({ status: 'spam' })
      .expect(200);
    // Spam reads as "pending" to its author: nothing tells a spammer they were caught.
    expect((await own(posted.editToken).expect(200)).body.status).toBe('pending');
    await approve(t, posted.comment.id).expect(200);
    expect((await own(posted.editToken).expect(200)).body.status).toBe('approved');
    await request(t.http)
      .get('/api/comments/00000000-0000-4000-8000-000000000000')
      .set('X-Edit-Token', posted.editToken)
      .expect(404);
  });

  it('refuses what it cannot do with the right status codes', async () => {
    const a = await createArticle(t);
    const { comment } = await postComment(t, a.slug);
    const patch = (id: string, body: unknown) =>
      request(t.http)
        .patch(`/api/admin/comments/${id}`)
        .set(t.admin)
        .send(body as object);
    await patch('00000000-0000-4000-8000-000000000000', { status: 'approved' }).expect(404);
    await patch('not-an-id', { status: 'approved' }).expect(404);
    await patch(comment.id, {}).expect(400);
    await patch(comment.id, { status: 'deleted' }).expect(400);
    await patch(comment.id, { status: 'approved', extra: 1 }).expect(400);
    await patch(comment.id, { body: '   ' }).expect(400);
    await request(t.http)
      .post('/api/admin/comments/bulk')
      .set(t.admin)
      .send({ ids: ['nope'], status: 'approved' })
      .expect(400);
    await request(t.http)
      .post('/api/admin/comments/bulk')
      .set(t.admin)
      .send({ ids: [], status: 'approved' })
      .expect(400);
  });

  it('decides 500 comments in one bulk call, in one transaction, each audited', async () => {
    const a = await createArticle(t);
    const ids = await insertPendingComments(t, a.id, 500);
    const res = await request(t.http)
      .post('/api/admin/comments/bulk')
      .set(moderator)
      .send({ ids: [...ids].reverse(), status: 'approved' })
      .expect(200);
    expect(res.body).toEqual({ updated: 500 });
    expect((await publicThread(a.slug)).total).toBe(500);
    let { stored, fresh } = await countersAndTruth(t, a.id);
    expect(stored).toEqual(fresh);
    const [audited] = await t.dataSource.query(
      `SELECT count(*)::integer AS n FROM moderation_events
       WHERE article_id = $1 AND action = 'comment.approve' AND actor = 'mod-mia'`,
      [a.id],
    );
    expect(audited.n).toBe(500);
    await expect.poll(() => ids.filter((id) => events.published.includes(id)).length).toBe(500);

    // Repeating it moves nothing; a mixed batch moves only what changes.
    expect(
      (
        await request(t.http)
          .post('/api/admin/comments/bulk')
          .set(moderator)
          .send({ ids, status: 'approved' })
          .expect(200)
      ).body,
    ).toEqual({ updated: 0 });
    expect(
      (
        await request(t.http)
          .post('/api/admin/comments/bulk')
          .set(moderator)
          .send({
            ids: [...ids.slice(0, 200), '00000000-0000-4000-8000-000000000000'],
            status: 'trash',
          })
          .expect(200)
      ).body,
    ).toEqual({ updated: 200 });
    ({ stored, fresh } = await countersAndTruth(t, a.id));
    expect(stored).toEqual(fresh);
    expect((stored as { total: number }).total).toBe(300);
  });

  it('two moderators deciding the same comment at once: both audited, one wins, counts hold', async () => {
    const other = await adminToken(t, 'mod-max', 'moderator');
    const a = await createArticle(t);
    for (let round = 0; round < 8; round += 1) {
      const { comment } = await postComment(t, a.slug, { anchor: { blockId: a.blocks[1].id } });
      const [first, second] = await Promise.all([
        request(t.http)
          .patch(`/api/admin/comments/${comment.id}`)
          .set(moderator)
          .send({ status: 'approved' }),
        request(t.http)
          .patch(`/api/admin/comments/${comment.id}`)
          .set(other)
          .send({ status: 'spam' }),
      ]);
      expect([first.status, second.status]).toEqual([200, 200]);
      const [arrival, ...trail] = await history(comment.id);
      expect(arrival.action).toBe('comment.arrive');
      expect(trail.map((e) => e.actor).sort()).toEqual(['mod-max', 'mod-mia']);
      // Each saw the other's decision (or the original) under the row lock: the chain is unbroken.
      expect(trail[0].fromStatus).toBe('pending');
      expect(trail[1].fromStatus).toBe(trail[0].toStatus);
      const [row] = await t.dataSource.query('SELECT status FROM comments WHERE id = $1', [
        comment.id,
      ]);
      expect(row.status).toBe(trail[1].toStatus);
      const { stored, fresh } = await countersAndTruth(t, a.id);
      expect(stored).toEqual(fresh);
    }
  });

  it('runs bulk calls over the same articles in parallel without deadlocking', async () => {
    const a = await createArticle(t);
    const b = await createArticle(t);
    for (let round = 0; round < 4; round += 1) {
      const onA = await insertPendingComments(t, a.id, 30);
      const onB = await insertPendingComments(t, b.id, 30);
      // Disjoint comments, both articles, opposite orders: without one lock order they would
      // take the two article rows in opposite orders.
      const answers = await Promise.all([
        request(t.http)
          .post('/api/admin/comments/bulk')
          .set(moderator)
          .send({ ids: [...onA.slice(0, 15), ...onB.slice(0, 15)], status: 'approved' }),
        request(t.http)
          .post('/api/admin/comments/bulk')
          .set(t.admin)
          .send({ ids: [...onB.slice(15), ...onA.slice(15)], status: 'approved' }),
      ]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);
      expect(answers.map((r) => r.body.updated)).toEqual([30, 30]);
    }
    for (const article of [a, b]) {
      const { stored, fresh } = await countersAndTruth(t, article.id);
      expect(stored).toEqual(fresh);
      expect((stored as { total: number }).total).toBe(120);
    }
  });

  it('purges a comment without replies for good; its audit survives', async () => {
    const a = await createArticle(t);
    const { comment } = await postComment(t, a.slug, { anchor: { blockId: a.blocks[0].id } });
    await approve(t, comment.id).expect(200);
    await request(t.http).delete(`/api/admin/comments/${comment.id}`).set(moderator).expect(204);
    const rows = await t.dataSource.query('SELECT 1 FROM comments WHERE id = $1', [comment.id]);
    expect(rows).toEqual([]);
    expect((await publicThread(a.slug)).total).toBe(0);
    const { stored, fresh } = await countersAndTruth(t, a.id);
    expect(stored).toEqual(fresh);
    expect(events.withdrawn).toContain(comment.id);
    const trail = await history(comment.id);
    expect(trail.map((e) => e.action)).toEqual([
      'comment.arrive',
      'comment.approve',
      'comment.purge',
    ]);
    expect(trail[2]).toMatchObject({
      actor: 'mod-mia',
      fromStatus: 'approved',
      toStatus: 'purged',
    });
    await request(t.http).delete(`/api/admin/comments/${comment.id}`).set(moderator).expect(404);
    await request(t.http)
      .get('/api/admin/comments/00000000-0000-4000-8000-000000000000/events')
      .set(t.admin)
      .expect(404);
  });

  it('purging a comment with replies leaves a placeholder without author, address or body', async () => {
    const a = await createArticle(t);
    const root = await postComment(t, a.slug, {
      authorName: 'Purged Person',
      authorEmail: 'purged.person@example.com',
      body: 'Something regrettable',
    });
    await approve(t, root.comment.id).expect(200);
    const reply = await postComment(t, a.slug, { parentId: root.comment.id });
    await approve(t, reply.comment.id).expect(200);
    await request(t.http).delete(`/api/admin/comments/${root.comment.id}`).set(t.admin).expect(204);
    const thread = await publicThread(a.slug);
    expect(thread.total).toBe(1);
    expect(thread.items).toHaveLength(1);
    expect(thread.items[0]).toMatchObject({
      id: root.comment.id,
      status: 'deleted',
      authorName: null,
      bodyHtml: null,
    });
    const [row] = await t.dataSource.query(
      'SELECT author_name, author_email, body_source, body_html, reasons, status FROM comments WHERE id = $1',
      [root.comment.id],
    );
    expect(row).toEqual({
      author_name: '',
      author_email: '',
      body_source: '',
      body_html: '',
      reasons: [],
      status: 'deleted',
    });
    const page = await request(t.http).get(`/articles/${a.slug}`).expect(200);
    expect(page.text).not.toContain('Something regrettable');
    expect(page.text).not.toContain('Purged Person');
    // A placeholder cannot be decided on, only purged.
    await approve(t, root.comment.id).expect(409);
  });
});
