import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentInput, createArticle, postComment } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

const BODY = [
  'Tea is grown on the hills above the river.',
  'Coffee arrived later, carried by traders.',
  'Both drinks are sold in the market today.',
].join('\n\n');

describe('inline feedback', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('anchors a comment to a passage and counts it on its block', async () => {
    const a = await createArticle(t, { body: BODY });
    const [b0, b1] = a.blocks;
    const posted = await postComment(t, a.slug, {
      anchor: {
        blockId: b1.id,
        quote: { exact: 'carried  by\ntraders', prefix: 'later, ', suffix: '.' },
      },
    });
    expect(posted.comment.anchor).toEqual({
      blockId: b1.id,
      quote: { exact: 'carried by traders', prefix: 'later, ', suffix: '.' },
      state: 'anchored',
    });
    await postComment(t, a.slug, { anchor: { blockId: b1.id } });
    await postComment(t, a.slug, { anchor: { blockId: b0.id, quote: { exact: 'Tea' } } });
    const plain = await postComment(t, a.slug);
    await postComment(t, a.slug, { parentId: posted.comment.id });

    const article = await request(t.http).get(`/api/articles/${a.slug}`).expect(200);
    expect(article.body.blocks.map((b: { inlineCount: number }) => b.inlineCount)).toEqual([
      1, 2, 0,
    ]);
    expect(article.body.commentCount).toBe(5);
    const count = await request(t.http).get(`/api/articles/${a.slug}/comments/count`).expect(200);
    expect(count.body).toEqual({ total: 5, inline: { [b0.id]: 1, [b1.id]: 2 } });

    const inline = await request(t.http)
      .get(`/api/articles/${a.slug}/comments`)
      .query({ anchor: 'inline' })
      .expect(200);
    expect(inline.body.items).toHaveLength(3);
    expect(inline.body.items.map((c: { id: string }) => c.id)).not.toContain(plain.comment.id);
    const one = await request(t.http)
      .get(`/api/articles/${a.slug}/comments`)
      .query({ anchor: b1.id, sort: 'oldest' })
      .expect(200);
    expect(one.body.items.map((c: { anchor: { blockId: string } }) => c.anchor.blockId)).toEqual([
      b1.id,
      b1.id,
    ]);
    expect(one.body.items[0].replies).toHaveLength(1);
  });

  it('refuses an unknown block or a quote that is not in the block with 422', async () => {
    const a = await createArticle(t, { body: BODY });
    const post = (anchor: unknown, extra: Record<string, unknown> = {}) =>
      request(t.http)
        .post(`/api/articles/${a.slug}/comments`)
        .send(commentInput({ anchor, ...extra }));
    let res = await post({ blockId: 'bdoesnotexist' }).expect(422);
    expect(res.body.message).toBe('anchor.blockId is not a block of this article');
    res = await post({ blockId: a.blocks[0].id, quote: { exact: 'Coffee arrived' } }).expect(422);
    expect(res.body.message).toBe('anchor.quote.exact is not found in that block');
    await post({ blockId: a.blocks[0].id, quote: { exact: '' } }).expect(400);
    await post({ blockId: a.blocks[0].id, quote: { exact: 'x'.repeat(1001) } }).expect(400);
    const root = await postComment(t, a.slug);
    await post({ blockId: a.blocks[0].id }, { parentId: root.comment.id }).expect(422);
    const after = await request(t.http).get(`/api/articles/${a.slug}`).expect(200);
    expect(after.body.blocks.every((b: { inlineCount: number }) => b.inlineCount === 0)).toBe(true);
  });

  it('re-anchors when an editor changes the article: keep, follow, orphan, never drop', async () => {
    const a = await createArticle(t, { body: BODY });
    const [tea, coffee, market] = a.blocks;
    const kept = await postComment(t, a.slug, {
      anchor: { blockId: tea.id, quote: { exact: 'grown on the hills' } },
    });
    const moved = await postComment(t, a.slug, {
      anchor: { blockId: coffee.id, quote: { exact: 'carried by traders' } },
    });
    const orphan = await postComment(t, a.slug, {
      anchor: { blockId: market.id, quote: { exact: 'sold in the market' } },
    });
    const wholeBlock = await postComment(t, a.slug, { anchor: { blockId: market.id } });

    const edited = [
      'Tea is grown on the hills above the river.',
      'Coffee arrived later.',
      'Spices came too, carried by traders from the coast.',
      'Nothing else is known.',
    ].join('\n\n');
    const res = await request(t.http)
      .patch(`/api/admin/articles/${a.slug}`)
      .set(t.admin)
      .send({ body: edited })
      .expect(200);
    const blocks: { id: string; text: string; inlineCount: number }[] = res.body.blocks;
    expect(blocks[0].id).toBe(tea.id);
    const spices = blocks[2];

    const list = await request(t.http)
      .get(`/api/articles/${a.slug}/comments`)
      .query({ anchor: 'inline', sort: 'oldest' })
      .expect(200);
    const anchors = Object.fromEntries(
      list.body.items.map((c: { id: string; anchor: unknown }) => [c.id, c.anchor]),
    );
    expect(list.body.items).toHaveLength(4);
    expect(anchors[kept.comment.id]).toMatchObject({ blockId: tea.id, state: 'anchored' });
    expect(anchors[moved.comment.id]).toMatchObject({ blockId: spices.id, state: 'anchored' });
    expect(anchors[orphan.comment.id]).toEqual({
      blockId: market.id,
      quote: { exact: 'sold in the market' },
      state: 'orphaned',
    });
    expect(anchors[wholeBlock.comment.id]).toMatchObject({ blockId: market.id, state: 'orphaned' });

    expect(blocks.map((b) => b.inlineCount)).toEqual([1, 0, 1, 0]);
    const count = await request(t.http).get(`/api/articles/${a.slug}/comments/count`).expect(200);
    expect(count.body).toEqual({ total: 4, inline: { [tea.id]: 1, [spices.id]: 1 } });

    // The passage comes back: the orphan is anchored again.
    await request(t.http)
      .patch(`/api/admin/articles/${a.slug}`)
      .set(t.admin)
      .send({ body: `${edited}\n\nBoth drinks are sold in the market today.` })
      .expect(200);
    const again = await request(t.http).get(`/api/articles/${a.slug}/comments/count`).expect(200);
    expect(Object.values(again.body.inline)).toEqual([1, 1, 1]);
  });
});
