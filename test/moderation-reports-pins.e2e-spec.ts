import { JSDOM } from 'jsdom';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { approve, countersAndTruth } from './factories/moderation';
import { createTestApp, TestApp } from './support/app';

const voter = (n: number) => `reporter-${String(n).padStart(10, '0')}`;

interface Reported {
  id: string;
  status: string;
  reasons: string[];
  reports: { reason: string; at: string }[];
}

describe('reader reports', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    // One proxy hop is believed: each voter reports from a network of its own (the threshold
    // counts networks, not voter ids; test/abuse.e2e-spec.ts covers one network's many ids).
    t = await createTestApp({ MODERATION: 'none', TRUST_PROXY_HOPS: '1' });
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  const networks = new Map<string, string>();
  const networkOf = (who: string): string => {
    if (!networks.has(who)) {
      const k = networks.size + 1;
      networks.set(who, `10.${Math.floor(k / 250)}.${k % 250}.7`);
    }
    return networks.get(who)!;
  };

  const report = (id: string, who: string | null, reason = 'offensive') => {
    const req = request(t.http)
      .post(`/api/comments/${id}/reports`)
      .set('X-Forwarded-For', networkOf(who ?? 'nobody'));
    return (who ? req.set('X-Voter-Id', who) : req).send({ reason });
  };

  const reportedQueue = async (): Promise<Reported[]> =>
    (
      await request(t.http)
        .get('/api/admin/comments')
        .query({ status: 'reported', article: article.slug })
        .set(t.admin)
        .expect(200)
    ).body.items as Reported[];

  it('takes one report per voter and holds the comment at the threshold', async () => {
    const { comment } = await postComment(t, article.slug);
    await report(comment.id, voter(1), 'rude').expect(202);
    await report(comment.id, voter(1), 'rude again').expect(202);
    await report(comment.id, voter(2), 'spam link').expect(202);
    let queue = await reportedQueue();
    const listed = queue.find((c) => c.id === comment.id)!;
    expect(listed.status).toBe('approved');
    expect(listed.reports.map((r) => r.reason).sort()).toEqual(['rude', 'spam link']);
    const thread = await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    expect(thread.body.items.map((i: { id: string }) => i.id)).toContain(comment.id);

    await report(comment.id, voter(3), 'hateful').expect(202);
    const after = await request(t.http).get(`/api/articles/${article.slug}/comments`).expect(200);
    expect(after.body.items.map((i: { id: string }) => i.id)).not.toContain(comment.id);
    const { stored, fresh } = await countersAndTruth(t, article.id);
    expect(stored).toEqual(fresh);

    queue = await reportedQueue();
    const held = queue.find((c) => c.id === comment.id)!;
    expect(held.status).toBe('pending');
    expect(held.reasons).toEqual(['reported from 3 networks']);
    expect(held.reports).toHaveLength(3);
    const pending = await request(t.http)
      .get('/api/admin/comments')
      .query({ status: 'pending', article: article.slug })
      .set(t.admin)
      .expect(200);
    expect(pending.body.items.map((i: { id: string }) => i.id)).toContain(comment.id);

    const events = await request(t.http)
      .get(`/api/admin/comments/${comment.id}/events`)
      .set(t.admin)
      .expect(200);
    expect(events.body.items).toMatchObject([
      { actor: 'author', action: 'comment.arrive', toStatus: 'approved' },
      { actor: 'reader', action: 'comment.report' },
      { actor: 'reader', action: 'comment.report' },
      { actor: 'reader', action: 'comment.report' },
      {
        actor: 'reader reports',
        action: 'comment.hold',
        fromStatus: 'approved',
        toStatus: 'pending',
        reason: 'reported from 3 networks',
      },
    ]);

    // A moderator's approval clears the reports: it leaves the reported view, and it takes a
    // fresh set of reports to hold it again.
    await approve(t, comment.id).expect(200);
    expect((await reportedQueue()).map((c) => c.id)).not.toContain(comment.id);
    await report(comment.id, voter(4)).expect(202);
    const [row] = await t.dataSource.query('SELECT status FROM comments WHERE id = $1', [
      comment.id,
    ]);
    expect(row.status).toBe('approved');
  });

  it('follows the reportThreshold setting', async () => {
    await request(t.http)
      .put('/api/admin/settings/moderation')
      .set(t.admin)
      .send({ reportThreshold: 1 })
      .expect(200);
    try {
      const { comment } = await postComment(t, article.slug);
      await report(comment.id, voter(9)).expect(202);
      const [row] = await t.dataSource.query('SELECT status, reasons FROM comments WHERE id = $1', [
        comment.id,
      ]);
      expect(row).toEqual({ status: 'pending', reasons: ['reported from 1 network'] });
    } finally {
      await request(t.http)
        .put('/api/admin/settings/moderation')
        .set(t.admin)
        .send({ reportThreshold: 3 })
        .expect(200);
    }
  });

  it('holds exactly once under concurrent reports', async () => {
    const { comment } = await postComment(t, article.slug);
    const answers = await Promise.all(
      [11, 12, 13, 14, 15, 16].map((n) => report(comment.id, voter(n))),
    );
    expect(answers.every((r) => r.status === 202)).toBe(true);
    const holds = await t.dataSource.query(
      "SELECT count(*)::integer AS n FROM moderation_events WHERE comment_id = $1 AND action = 'comment.hold'",
      [comment.id],
    );
    expect(holds[0].n).toBe(1);
    const { stored, fresh } = await countersAndTruth(t, article.id);
    expect(stored).toEqual(fresh);
  });

  it('validates the voter id, the reason and the comment', async () => {
    const { comment } = await postComment(t, article.slug);
    await report(comment.id, null).expect(400);
    await report(comment.id, 'too-short').expect(400);
    await report(comment.id, voter(20), '').expect(400);
    await report(comment.id, voter(20), 'x'.repeat(501)).expect(400);
    await request(t.http)
      .post(`/api/comments/${comment.id}/reports`)
      .set('X-Voter-Id', voter(20))
      .send({ reason: 'ok', extra: true })
      .expect(400);
    await report('00000000-0000-4000-8000-000000000000', voter(20)).expect(404);
    await report('nope', voter(20)).expect(404);
    await request(t.http)
      .patch(`/api/admin/comments/${comment.id}`)
      .set(t.admin)
      .send({ status: 'spam' })
      .expect(200);
    await report(comment.id, voter(20)).expect(404);
  });

  it('reports from the page without JavaScript and returns to the comment', async () => {
    const { comment } = await postComment(t, article.slug);
    const res = await request(t.http)
      .post(`/comments/${comment.id}/report`)
      .type('form')
      .send({ reason: 'off topic' })
      .expect(303);
    expect(res.headers.location).toBe(
      `/articles/${article.slug}?reported=${comment.id}#comment-${comment.id}`,
    );
    const [row] = await t.dataSource.query(
      'SELECT reason FROM comment_reports WHERE comment_id = $1',
      [comment.id],
    );
    expect(row.reason).toBe('off topic');
    const pageHtml = (await request(t.http).get(`/articles/${article.slug}`).expect(200)).text;
    expect(pageHtml).toContain(`action="/comments/${comment.id}/report"`);
    expect(pageHtml).not.toContain('Thank you for the report');
    const back = (await request(t.http).get(res.headers.location.split('#')[0]).expect(200)).text;
    // The thanks is on the reported comment, where the reader lands.
    const landed = new JSDOM(back).window.document.getElementById(`comment-${comment.id}`)!;
    expect(landed.querySelector('.comment-notice')!.textContent).toBe(
      'Thank you for the report. A moderator will take a look.',
    );
    // Without a reason the form still reports, and a second time from the same browser is no
    // second report.
    await request(t.http).post(`/comments/${comment.id}/report`).type('form').send({}).expect(303);
    const rows = await t.dataSource.query(
      'SELECT count(*)::integer AS n FROM comment_reports WHERE comment_id = $1',
      [comment.id],
    );
    expect(rows[0].n).toBe(1);
  });
});

describe('reports are rate-limited per IP', () => {
  it('answers 429 with Retry-After past the limit', async () => {
    const t = await createTestApp({ RATE_LIMIT: 'on', MODERATION: 'none' });
    try {
      const a = await createArticle(t);
      const { comment } = await postComment(t, a.slug);
      // Limits count in fixed one-minute windows: start well inside one.
      const intoWindow = Date.now() % 60_000;
      if (intoWindow > 45_000) {
        await new Promise((resolve) => setTimeout(resolve, 60_000 - intoWindow + 100));
      }
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let n = 0; n < 12; n += 1) {
        const res = await request(t.http)
          .post(`/api/comments/${comment.id}/reports`)
          .set('X-Voter-Id', voter(100 + n))
          .send({ reason: 'flood' });
        statuses.push(res.status);
        retryAfter ??= res.headers['retry-after'];
      }
      expect(statuses.slice(0, 10).every((s) => s === 202)).toBe(true);
      expect(statuses.slice(10)).toEqual([429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await t.close();
    }
  });
});

describe('pinned comments', () => {
  let t: TestApp;
  let article: TestArticle;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'none' });
    article = await createArticle(t);
    for (let i = 0; i < 25; i += 1) {
      ids.push((await postComment(t, article.slug)).comment.id);
    }
    // Give them distinct scores so "top" has an order of its own.
    for (let i = 0; i < ids.length; i += 1) {
      await t.dataSource.query('UPDATE comments SET up_count = $2 WHERE id = $1', [ids[i], i % 7]);
    }
  });
  afterAll(() => t.close());

  const walk = async (sort: string, limit: number) => {
    const seen: { id: string; pinned: boolean }[] = [];
    let cursor: string | undefined;
    do {
      const res = await request(t.http)
        .get(`/api/articles/${article.slug}/comments`)
        .query({ sort, limit, cursor })
        .expect(200);
      seen.push(...(res.body.items as { id: string; pinned: boolean }[]));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    return seen;
  };

  it('lists pinned comments first in every sort and pages every comment exactly once', async () => {
    const unpinnedOrder: Record<string, string[]> = {};
    for (const sort of ['newest', 'oldest', 'top']) {
      unpinnedOrder[sort] = (await walk(sort, 100)).map((c) => c.id);
    }
    const pinned = [ids[3], ids[20], ids[11]];
    for (const id of pinned) {
      const res = await request(t.http)
        .patch(`/api/admin/comments/${id}`)
        .set(t.admin)
        .send({ pinned: true })
        .expect(200);
      expect(res.body.pinned).toBe(true);
    }
    for (const sort of ['newest', 'oldest', 'top']) {
      for (const limit of [2, 3, 7, 100]) {
        const seen = await walk(sort, limit);
        const order = seen.map((c) => c.id);
        // The pinned ones, in the sort's own order, then everything else in that order.
        const expected = [
          ...unpinnedOrder[sort].filter((id) => pinned.includes(id)),
          ...unpinnedOrder[sort].filter((id) => !pinned.includes(id)),
        ];
        expect(order, `${sort} limit ${limit}`).toEqual(expected);
        expect(seen.slice(0, 3).every((c) => c.pinned)).toBe(true);
      }
    }
    const events = await request(t.http)
      .get(`/api/admin/comments/${ids[3]}/events`)
      .set(t.admin)
      .expect(200);
    expect(events.body.items.map((e: { action: string }) => e.action)).toEqual([
      'comment.arrive',
      'comment.pin',
    ]);

    await request(t.http)
      .patch(`/api/admin/comments/${ids[3]}`)
      .set(t.admin)
      .send({ pinned: false })
      .expect(200);
    const newest = await walk('newest', 5);
    expect(newest.slice(0, 2).map((c) => c.id)).toEqual(
      unpinnedOrder.newest.filter((id) => [ids[20], ids[11]].includes(id)),
    );
  });

  it('shows the pinned comment first on the reader page too', async () => {
    const html = (await request(t.http).get(`/articles/${article.slug}?sort=oldest`).expect(200))
      .text;
    const first = /id="comment-([0-9a-f-]{36})"/.exec(html)![1];
    expect([ids[20], ids[11]]).toContain(first);
  });

  it('pins only top-level comments', async () => {
    const reply = await postComment(t, article.slug, { parentId: ids[0] });
    await request(t.http)
      .patch(`/api/admin/comments/${reply.comment.id}`)
      .set(t.admin)
      .send({ pinned: true })
      .expect(422);
  });
});
