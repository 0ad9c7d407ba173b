import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { adminToken, approve } from './factories/moderation';
import { createTestApp, TestApp } from './support/app';

// Issue 9, point 6: GET /api/admin/comments/:id/events tells the whole story of a comment, and an
// explicit approval clears its reports (single and bulk) and is audited.

interface AuditItem {
  id: string;
  actor: string;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  reason: string | null;
  details: Record<string, unknown>;
  at: string;
}

const voter = (n: number) => `history-voter-${String(n).padStart(8, '0')}`;

describe('the moderation history of a comment', () => {
  let t: TestApp;
  let article: TestArticle;
  let moderator: { Authorization: string };

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'first', TRUST_PROXY_HOPS: '1' });
    moderator = await adminToken(t, 'mod-hana', 'moderator');
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  const history = async (id: string): Promise<AuditItem[]> =>
    (await request(t.http).get(`/api/admin/comments/${id}/events`).set(t.admin).expect(200)).body
      .items as AuditItem[];

  const report = (id: string, ip: string, who: string) =>
    request(t.http)
      .post(`/api/comments/${id}/reports`)
      .set('X-Forwarded-For', ip)
      .set('X-Voter-Id', who)
      .send({ reason: 'off topic' })
      .expect(202);

  const reportedIds = async (): Promise<string[]> =>
    (
      await request(t.http)
        .get('/api/admin/comments')
        .query({ status: 'reported', article: article.slug, limit: 100 })
        .set(t.admin)
        .expect(200)
    ).body.items.map((c: { id: string }) => c.id);

  const revisionIds = async (id: string): Promise<string[]> =>
    (
      await t.dataSource.query(
        'SELECT id FROM comment_revisions WHERE comment_id = $1 ORDER BY created_at, id',
        [id],
      )
    ).map((r: { id: string }) => r.id);

  it('lists arrival, approval, author and moderator edits and every report, in order', async () => {
    const posted = await postComment(t, article.slug, {
      authorEmail: 'newcomer@example.org',
      body: 'My very first comment',
    });
    expect(posted.comment.status).toBe('pending');
    await approve(t, posted.comment.id, moderator).expect(200);
    await request(t.http)
      .patch(`/api/comments/${posted.comment.id}`)
      .set('X-Edit-Token', posted.editToken)
      .send({ body: 'My very first comment, with a typo fixed' })
      .expect(200);
    await report(posted.comment.id, '203.0.113.8', voter(1));
    await report(posted.comment.id, '198.51.100.8', voter(2));
    await request(t.http)
      .patch(`/api/admin/comments/${posted.comment.id}`)
      .set(moderator)
      .send({ body: 'My very first comment [edited]', reason: 'trimmed' })
      .expect(200);

    const items = await history(posted.comment.id);
    const revisions = await revisionIds(posted.comment.id);
    expect(revisions).toHaveLength(2);
    expect(items).toMatchObject([
      {
        actor: 'author',
        action: 'comment.arrive',
        fromStatus: null,
        toStatus: 'pending',
        reason: 'first comment of this address',
        details: { reasons: ['first comment of this address'] },
      },
      { actor: 'mod-hana', action: 'comment.approve', fromStatus: 'pending', toStatus: 'approved' },
      {
        actor: 'author',
        action: 'comment.edit',
        fromStatus: 'approved',
        toStatus: 'approved',
        details: { revisionId: revisions[0] },
      },
      { actor: 'reader', action: 'comment.report', fromStatus: 'approved', toStatus: 'approved' },
      { actor: 'reader', action: 'comment.report', fromStatus: 'approved', toStatus: 'approved' },
      {
        actor: 'mod-hana',
        action: 'comment.edit',
        reason: 'trimmed',
        details: { revisionId: revisions[1] },
      },
    ]);
    expect(items).toHaveLength(6);
    // Two reports from two networks: the events tell them apart without revealing the address.
    const networks = items
      .filter((i) => i.action === 'comment.report')
      .map((i) => i.details.network);
    expect(new Set(networks).size).toBe(2);
    expect(JSON.stringify(items)).not.toContain('203.0.113');
    for (let i = 1; i < items.length; i++) {
      expect(Date.parse(items[i].at)).toBeGreaterThanOrEqual(Date.parse(items[i - 1].at));
    }
  });

  it('records an arrival published at once, a hold by reports, and a deletion by the author', async () => {
    const trusted = 'newcomer@example.org';
    const first = await postComment(t, article.slug, { authorEmail: trusted, body: 'Trusted now' });
    expect(first.comment.status).toBe('approved');
    for (const [n, ip] of ['192.0.2.1', '198.51.100.1', '203.0.113.1'].entries()) {
      await report(first.comment.id, ip, voter(10 + n));
    }
    const second = await postComment(t, article.slug, { authorEmail: trusted, body: 'Regret' });
    await request(t.http)
      .delete(`/api/comments/${second.comment.id}`)
      .set('X-Edit-Token', second.editToken)
      .expect(204);

    expect(await history(first.comment.id)).toMatchObject([
      { actor: 'author', action: 'comment.arrive', toStatus: 'approved', reason: null },
      { action: 'comment.report' },
      { action: 'comment.report' },
      { action: 'comment.report' },
      {
        actor: 'reader reports',
        action: 'comment.hold',
        fromStatus: 'approved',
        toStatus: 'pending',
        reason: 'reported from 3 networks',
      },
    ]);
    expect(await history(second.comment.id)).toMatchObject([
      { actor: 'author', action: 'comment.arrive', toStatus: 'approved' },
      { actor: 'author', action: 'comment.delete', fromStatus: 'approved', toStatus: 'deleted' },
    ]);
  });

  it('records the screen holding an edited comment, with its reasons', async () => {
    await request(t.http)
      .put('/api/admin/settings/moderation')
      .set(t.admin)
      .send({ holdWords: ['lottery'] })
      .expect(200);
    try {
      const posted = await postComment(t, article.slug, {
        authorEmail: 'newcomer@example.org',
        body: 'Plain words',
      });
      await request(t.http)
        .patch(`/api/comments/${posted.comment.id}`)
        .set('X-Edit-Token', posted.editToken)
        .send({ body: 'Win the lottery' })
        .expect(200);
      const [revision] = await revisionIds(posted.comment.id);
      expect(await history(posted.comment.id)).toMatchObject([
        { action: 'comment.arrive', toStatus: 'approved' },
        { actor: 'author', action: 'comment.edit', details: { revisionId: revision } },
        {
          actor: 'moderation rules',
          action: 'comment.hold',
          fromStatus: 'approved',
          toStatus: 'pending',
          reason: 'hold word "lottery"',
        },
      ]);
    } finally {
      await request(t.http)
        .put('/api/admin/settings/moderation')
        .set(t.admin)
        .send({ holdWords: [] })
        .expect(200);
    }
  });

  it('approving an approved comment that has reports clears them and is audited', async () => {
    const { comment } = await postComment(t, article.slug, {
      authorEmail: 'newcomer@example.org',
      body: 'Contested but fine',
    });
    await report(comment.id, '192.0.2.50', voter(30));
    expect(await reportedIds()).toContain(comment.id);

    await approve(t, comment.id, moderator).expect(200);
    expect(await reportedIds()).not.toContain(comment.id);
    const items = await history(comment.id);
    expect(items[items.length - 1]).toMatchObject({
      actor: 'mod-hana',
      action: 'comment.approve',
      fromStatus: 'approved',
      toStatus: 'approved',
      details: { reportsCleared: 1 },
    });
    // With nothing left to clear, approving again changes nothing and writes nothing.
    await approve(t, comment.id, moderator).expect(200);
    expect(await history(comment.id)).toHaveLength(items.length);
    // A new report puts it back in the view; the old one does not count again.
    await report(comment.id, '198.51.100.50', voter(31));
    expect(await reportedIds()).toContain(comment.id);
    const view = await request(t.http)
      .get(`/api/admin/comments/${comment.id}`)
      .set(t.admin)
      .expect(200);
    expect(view.body.status).toBe('approved');
  });

  it('a bulk approval clears reported comments from the view and audits each', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      const { comment } = await postComment(t, article.slug, {
        authorEmail: 'newcomer@example.org',
        body: `Bulk contested ${n}`,
      });
      await report(comment.id, `192.0.2.${60 + n}`, voter(40 + n));
      ids.push(comment.id);
    }
    const held = await postComment(t, article.slug, {
      authorEmail: 'someone-new@example.org',
      body: 'Held newcomer',
    });
    expect(held.comment.status).toBe('pending');
    const res = await request(t.http)
      .post('/api/admin/comments/bulk')
      .set(moderator)
      .send({ ids: [...ids, held.comment.id], status: 'approved' })
      .expect(200);
    expect(res.body).toEqual({ updated: 4 });
    const reported = await reportedIds();
    for (const id of ids) {
      expect(reported).not.toContain(id);
      const items = await history(id);
      expect(items[items.length - 1]).toMatchObject({
        actor: 'mod-hana',
        action: 'comment.approve',
        fromStatus: 'approved',
        toStatus: 'approved',
        details: { bulk: true, reportsCleared: 1 },
      });
    }
    const heldItems = await history(held.comment.id);
    expect(heldItems[heldItems.length - 1]).toMatchObject({
      action: 'comment.approve',
      fromStatus: 'pending',
      toStatus: 'approved',
    });
    // Nothing left to clear: a second bulk approval moves nothing.
    await request(t.http)
      .post('/api/admin/comments/bulk')
      .set(moderator)
      .send({ ids, status: 'approved' })
      .expect(200, { updated: 0 });
  });
});
