import { EventEmitter2 } from '@nestjs/event-emitter';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommentPublishedEvent, CommentWithdrawnEvent } from '../src/comments/comment.events';
import { CommentVisibility } from '../src/comments/comment-visibility.service';
import { CommentsRepository } from '../src/comments/comments.repository';
import { createArticle, postComment } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

describe('CommentVisibility: the one way a comment changes status (MODERATION=all)', () => {
  let t: TestApp;
  let visibility: CommentVisibility;
  let comments: CommentsRepository;
  const heard: (CommentPublishedEvent | CommentWithdrawnEvent)[] = [];

  beforeAll(async () => {
    t = await createTestApp({ MODERATION: 'all' });
    visibility = t.app.get(CommentVisibility);
    comments = t.app.get(CommentsRepository);
    const events = t.app.get(EventEmitter2);
    events.on(CommentPublishedEvent.event, (e: CommentPublishedEvent) => heard.push(e));
    events.on(CommentWithdrawnEvent.event, (e: CommentWithdrawnEvent) => heard.push(e));
  });
  afterAll(() => t.close());

  async function setStatus(id: string, status: 'approved' | 'spam' | 'trash', reason?: string) {
    await visibility.transaction(async (tx) => {
      const comment = await comments.findByIdForUpdate(tx.manager, id);
      await tx.setStatus(comment!, status, reason);
    });
  }

  async function counts(slug: string) {
    const res = await request(t.http).get(`/api/articles/${slug}`).expect(200);
    return {
      commentCount: res.body.commentCount as number,
      inline: res.body.blocks.map((b: { inlineCount: number }) => b.inlineCount) as number[],
    };
  }

  it('approving and withdrawing keeps the article, block and reply counters and emits events', async () => {
    const a = await createArticle(t);
    const block = a.blocks[0];
    const root = await postComment(t, a.slug, {
      anchor: { blockId: block.id, quote: { exact: 'tea and biscuits' } },
      notify: 'replies',
    });
    expect(root.comment.status).toBe('pending');
    expect(await counts(a.slug)).toEqual({ commentCount: 0, inline: [0, 0, 0] });
    expect(heard).toHaveLength(0);

    await setStatus(root.comment.id, 'approved');
    expect(await counts(a.slug)).toEqual({ commentCount: 1, inline: [1, 0, 0] });
    expect(heard).toHaveLength(1);
    expect(heard[0]).toBeInstanceOf(CommentPublishedEvent);
    expect(heard[0]).toMatchObject({
      commentId: root.comment.id,
      articleId: a.id,
      parentId: null,
      notify: 'replies',
      previousStatus: 'pending',
    });
    expect((heard[0] as CommentPublishedEvent).authorEmailHash).toMatch(/^[0-9a-f]{64}$/);

    const reply = await postComment(t, a.slug, { parentId: root.comment.id });
    await setStatus(reply.comment.id, 'approved');
    let list = await request(t.http).get(`/api/articles/${a.slug}/comments`).expect(200);
    expect(list.body.items[0].replyCount).toBe(1);
    expect(heard[1]).toMatchObject({ commentId: reply.comment.id, path: [root.comment.id] });

    // Approving twice changes nothing and says nothing.
    await setStatus(reply.comment.id, 'approved');
    expect(heard).toHaveLength(2);

    await setStatus(reply.comment.id, 'spam', 'looks like spam');
    list = await request(t.http).get(`/api/articles/${a.slug}/comments`).expect(200);
    expect(list.body.items[0].replyCount).toBe(0);
    expect(await counts(a.slug)).toEqual({ commentCount: 1, inline: [1, 0, 0] });
    expect(heard[2]).toBeInstanceOf(CommentWithdrawnEvent);
    expect(heard[2]).toMatchObject({ status: 'spam', reason: 'looks like spam' });
    const [row] = await t.dataSource.query('SELECT reasons FROM comments WHERE id = $1', [
      reply.comment.id,
    ]);
    expect(row.reasons).toContain('looks like spam');

    await setStatus(root.comment.id, 'trash');
    expect(await counts(a.slug)).toEqual({ commentCount: 0, inline: [0, 0, 0] });
  });

  it('emits nothing and changes nothing when the transaction rolls back', async () => {
    const a = await createArticle(t);
    const posted = await postComment(t, a.slug);
    const before = heard.length;
    await expect(
      visibility.transaction(async (tx) => {
        const comment = await comments.findByIdForUpdate(tx.manager, posted.comment.id);
        await tx.setStatus(comment!, 'approved');
        throw new Error('something later in the same transaction failed');
      }),
    ).rejects.toThrow('something later');
    expect(heard).toHaveLength(before);
    expect((await counts(a.slug)).commentCount).toBe(0);
    const [row] = await t.dataSource.query('SELECT status FROM comments WHERE id = $1', [
      posted.comment.id,
    ]);
    expect(row.status).toBe('pending');
  });

  it('keeps every counter exact under concurrent replies and withdrawals in one thread', async () => {
    const a = await createArticle(t);
    const root = await postComment(t, a.slug);
    await setStatus(root.comment.id, 'approved');
    const children: string[] = [];
    for (let i = 0; i < 3; i++) {
      const child = await postComment(t, a.slug, { parentId: children[i - 1] ?? root.comment.id });
      await setStatus(child.comment.id, 'approved');
      children.push(child.comment.id);
    }
    const targets = [root.comment.id, ...children];
    // Posted while held, then approved and withdrawn concurrently across the thread.
    const replies = await Promise.all(
      Array.from({ length: 24 }, (_, i) => postComment(t, a.slug, { parentId: targets[i % 4] })),
    );
    await Promise.all(
      replies.map((r, i) => setStatus(r.comment.id, i % 5 === 0 ? 'trash' : 'approved')),
    );
    await Promise.all(
      replies.filter((_, i) => i % 3 === 0).map((r) => setStatus(r.comment.id, 'spam')),
    );
    const rows: { id: string; reply_count: number; actual: number }[] = await t.dataSource.query(
      `SELECT c.id, c.reply_count, (SELECT count(*)::int FROM comments d
         WHERE d.path @> ARRAY[c.id] AND d.status = 'approved') AS actual
       FROM comments c WHERE c.article_id = $1`,
      [a.id],
    );
    for (const row of rows) {
      expect(row.reply_count, row.id).toBe(row.actual);
    }
    const [article] = await t.dataSource.query(
      `SELECT article_comment_count($1) AS comment_count, (SELECT count(*)::int FROM comments
         WHERE article_id = $1 AND status = 'approved') AS actual`,
      [a.id],
    );
    expect(article.comment_count).toBe(article.actual);
    expect(article.actual).toBe(4 + replies.filter((_, i) => i % 5 !== 0 && i % 3 !== 0).length);
  });
});
