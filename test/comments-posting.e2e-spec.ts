import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMENT_RENDER_VERSION } from '../src/comments/comment-body';
import { commentInput, createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

describe('posting comments (MODERATION=none)', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  it('answers 201 with the rendered comment, an edit token and its deadline', async () => {
    const before = Date.now();
    const res = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send(
        commentInput({
          authorName: 'Ada',
          authorEmail: 'ada@example.com',
          body: 'I *like* [this](https://example.com) <script>alert(1)</script>',
          notify: 'replies',
        }),
      )
      .expect(201);
    const { comment, editToken, editableUntil } = res.body;
    expect(comment).toMatchObject({
      parentId: null,
      depth: 0,
      authorName: 'Ada',
      status: 'approved',
      anchor: null,
      pinned: false,
      votes: { up: 0, down: 0, score: 0 },
      replyCount: 0,
      replies: [],
      moreReplies: false,
      editedAt: null,
    });
    expect(comment.bodyHtml).toBe(
      '<p>I <em>like</em> <a href="https://example.com" rel="nofollow ugc noopener">this</a> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n',
    );
    expect(JSON.stringify(res.body)).not.toContain('ada@example.com');
    expect(editToken).toMatch(/^cet_[\w-]{43}$/);
    const deadline = Date.parse(editableUntil);
    expect(deadline - before).toBeGreaterThan(14 * 60_000);
    expect(deadline - before).toBeLessThan(16 * 60_000);
    const stored = await t.dataSource.query(
      'SELECT body_source, notify, edit_token_hash, author_email, render_version FROM comments WHERE id = $1',
      [comment.id],
    );
    expect(stored[0]).toMatchObject({
      body_source: 'I *like* [this](https://example.com) <script>alert(1)</script>',
      notify: 'replies',
      author_email: 'ada@example.com',
      render_version: COMMENT_RENDER_VERSION,
    });
    expect(stored[0].edit_token_hash).not.toContain(editToken);
  });

  it('counts the comment on the article', async () => {
    const a = await createArticle(t);
    await postComment(t, a.slug);
    await postComment(t, a.slug);
    const res = await request(t.http).get(`/api/articles/${a.slug}`).expect(200);
    expect(res.body.commentCount).toBe(2);
    const count = await request(t.http).get(`/api/articles/${a.slug}/comments/count`).expect(200);
    expect(count.body).toEqual({ total: 2, inline: {} });
  });

  it('rejects invalid input with 400 and unknown fields', async () => {
    const cases: Record<string, unknown>[] = [
      { authorName: '' },
      { authorName: 'x'.repeat(81) },
      { authorName: 'two\nlines' },
      { authorEmail: 'not-an-email' },
      { authorEmail: `${'a'.repeat(250)}@example.com` },
      { body: '' },
      { body: '   ' },
      { body: 'x'.repeat(10001) },
      { notify: 'always' },
      { parentId: 'nope' },
      { anchor: { blockId: '' } },
      { extra: 1 },
      { anchor: { blockId: article.blocks[0].id, extra: 1 } },
    ];
    for (const overrides of cases) {
      const res = await request(t.http)
        .post(`/api/articles/${article.slug}/comments`)
        .send(commentInput(overrides));
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      expect(res.body.statusCode).toBe(400);
    }
  });

  it('counts lengths in characters, not UTF-16 units', async () => {
    await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send(commentInput({ authorName: '😀'.repeat(80) }))
      .expect(201);
    await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send(commentInput({ body: '😀'.repeat(10000) }))
      .expect(201);
  });

  it('answers 404 for an unknown article or parent, 409 when comments are closed', async () => {
    await request(t.http)
      .post('/api/articles/no-such-article/comments')
      .send(commentInput())
      .expect(404);
    await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send(commentInput({ parentId: '00000000-0000-4000-8000-000000000000' }))
      .expect(404);
    const closed = await createArticle(t, { commentsOpen: false });
    const res = await request(t.http)
      .post(`/api/articles/${closed.slug}/comments`)
      .send(commentInput())
      .expect(409);
    expect(res.body.message).toBe('comments are closed on this article');
  });

  it('stores replies at any depth and counts them on every ancestor', async () => {
    const a = await createArticle(t);
    let parent = await postComment(t, a.slug);
    const root = parent.comment.id;
    const chain = [root];
    for (let i = 0; i < 7; i++) {
      parent = await postComment(t, a.slug, { parentId: parent.comment.id });
      chain.push(parent.comment.id);
    }
    expect(parent.comment).toMatchObject({ depth: 7, parentId: chain[6] });
    const list = await request(t.http).get(`/api/articles/${a.slug}/comments`).expect(200);
    expect(list.body.total).toBe(8);
    expect(list.body.items).toHaveLength(1);
    let node = list.body.items[0];
    expect(node.replyCount).toBe(7);
    for (let depth = 1; depth <= 7; depth++) {
      expect(node.replies).toHaveLength(1);
      node = node.replies[0];
      expect(node).toMatchObject({ id: chain[depth], depth, replyCount: 7 - depth });
    }
  });

  it('refuses a reply to a comment of another article with 422', async () => {
    const other = await createArticle(t);
    const foreign = await postComment(t, other.slug);
    const res = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send(commentInput({ parentId: foreign.comment.id }))
      .expect(422);
    expect(res.body.message).toBe('the parent comment belongs to another article');
  });

  it('refuses a reply to a comment that is not approved with 422', async () => {
    const held = await postComment(t, article.slug);
    await t.dataSource.query("UPDATE comments SET status = 'pending' WHERE id = $1", [
      held.comment.id,
    ]);
    const res = await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .send(commentInput({ parentId: held.comment.id }))
      .expect(422);
    expect(res.body.message).toBe('the parent comment is not approved');
  });

  it('accepts a filled honeypot silently and stores it as spam', async () => {
    const a = await createArticle(t);
    const res = await request(t.http)
      .post(`/api/articles/${a.slug}/comments`)
      .send(commentInput({ website: 'http://spam.example' }))
      .expect(201);
    expect(res.body.comment.status).toBe('pending');
    expect(res.body.editToken).toBeTruthy();
    const [row] = await t.dataSource.query('SELECT status, reasons FROM comments WHERE id = $1', [
      res.body.comment.id,
    ]);
    expect(row).toEqual({ status: 'spam', reasons: ['honeypot field filled'] });
    const list = await request(t.http).get(`/api/articles/${a.slug}/comments`).expect(200);
    expect(list.body).toEqual({ items: [], nextCursor: null, total: 0 });
  });

  it('rejects a JSON body nested too deep or sent as a form under /api', async () => {
    await request(t.http)
      .post(`/api/articles/${article.slug}/comments`)
      .type('form')
      .send('authorName=a&authorEmail=a@example.com&body=x')
      .expect(415);
  });
});

describe('status on arrival follows MODERATION', () => {
  it('first: holds the first comment of an address, trusts it once one is approved anywhere', async () => {
    const t = await createTestApp({ MODERATION: 'first' });
    try {
      const a = await createArticle(t);
      const b = await createArticle(t);
      const first = await postComment(t, a.slug, { authorEmail: 'new@example.com' });
      expect(first.comment.status).toBe('pending');
      const [row] = await t.dataSource.query('SELECT reasons FROM comments WHERE id = $1', [
        first.comment.id,
      ]);
      expect(row.reasons).toEqual(['first comment of this address']);
      const second = await postComment(t, a.slug, { authorEmail: 'new@example.com' });
      expect(second.comment.status).toBe('pending');
      let list = await request(t.http).get(`/api/articles/${a.slug}/comments`).expect(200);
      expect(list.body.items).toEqual([]);
      expect(list.body.total).toBe(0);

      await t.dataSource.query("UPDATE comments SET status = 'approved' WHERE id = $1", [
        first.comment.id,
      ]);
      const trusted = await postComment(t, b.slug, { authorEmail: 'NEW@example.com' });
      expect(trusted.comment.status).toBe('approved');
      list = await request(t.http).get(`/api/articles/${b.slug}/comments`).expect(200);
      expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([trusted.comment.id]);
    } finally {
      await t.close();
    }
  });

  it('all: holds every comment', async () => {
    const t = await createTestApp({ MODERATION: 'all' });
    try {
      const a = await createArticle(t);
      const posted = await postComment(t, a.slug);
      expect(posted.comment.status).toBe('pending');
      const res = await request(t.http).get(`/api/articles/${a.slug}`).expect(200);
      expect(res.body.commentCount).toBe(0);
    } finally {
      await t.close();
    }
  });
});
