import { SaxesParser } from 'saxes';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from './support/app';

interface Snapshot {
  articles: Record<string, unknown>[];
  comments: Record<string, unknown>[];
}

async function snapshot(t: TestApp): Promise<Snapshot> {
  const articles: Record<string, unknown>[] = await t.dataSource.query(
    `SELECT id, slug, title, summary, author, body_source, blocks, status, published_at,
            article_comment_count(id) AS comment_count,
            article_inline_counts(id) AS inline_counts FROM articles ORDER BY slug`,
  );
  const comments: Record<string, unknown>[] = await t.dataSource.query(
    `SELECT c.id, a.slug, c.parent_id, c.root_id, c.depth, c.path, c.author_name, c.author_email,
            c.body_source, c.body_html, c.status, c.reply_count,
            c.anchor_block_id, c.anchor_quote, c.anchor_state, c.created_at
       FROM comments c JOIN articles a ON a.id = c.article_id ORDER BY c.created_at, c.id`,
  );
  return { articles, comments };
}

function wellFormed(xml: string): void {
  const parser = new SaxesParser();
  parser.on('error', (e) => {
    throw e;
  });
  parser.write(xml).close();
}

describe('export: WXR and JSON lines, and the WXR round trip', () => {
  let source: TestApp;
  let target: TestApp;
  let wxr: string;

  beforeAll(async () => {
    source = await createTestApp({ SEED: 'off' });
    target = await createTestApp({ SEED: 'off' });
    const post = (slug: string, body: Record<string, unknown>) =>
      request(source.http).post(`/api/articles/${slug}/comments`).send(body).expect(201);
    for (const [title, status] of [
      ['Ünïcode & <markup> in “titles”', 'published'],
      ['A draft with ]]> in it', 'draft'],
    ] as const) {
      await request(source.http)
        .post('/api/admin/articles')
        .set(source.admin)
        .send({
          title,
          body: `First paragraph of ${title}.\n\n## A heading\n\n- a list\n- of two`,
          status,
        })
        .expect(201);
    }
    const slug = 'unicode-markup-in-titles';
    const top = await post(slug, {
      authorName: 'Zoë <script>',
      authorEmail: 'zoe@example.com',
      body: 'Top **level** with a [link](https://example.org) and ]]> and emoji 🎉',
    });
    const reply = await post(slug, {
      authorName: '王小明',
      authorEmail: 'wang@example.cn',
      body: 'A reply <script>alert(1)</script>',
      parentId: top.body.comment.id,
    });
    await post(slug, {
      authorName: 'Deep',
      authorEmail: 'deep@example.com',
      body: 'A reply to the reply',
      parentId: reply.body.comment.id,
    });
    const article = await request(source.http).get(`/api/articles/${slug}`).expect(200);
    await post(slug, {
      authorName: 'Inline',
      authorEmail: 'inline@example.com',
      body: 'On this passage',
      anchor: { blockId: article.body.blocks[0].id, quote: { exact: 'First paragraph' } },
    });
    const spam = await post(slug, {
      authorName: 'Spammer',
      authorEmail: 's@example.com',
      body: 'spam spam',
    });
    await request(source.http)
      .patch(`/api/admin/comments/${spam.body.comment.id}`)
      .set(source.admin)
      .send({ status: 'spam' })
      .expect(200);
    const held = await post(slug, {
      authorName: 'Held',
      authorEmail: 'h@example.com',
      body: 'hold me',
    });
    await request(source.http)
      .patch(`/api/admin/comments/${held.body.comment.id}`)
      .set(source.admin)
      .send({ status: 'pending' })
      .expect(200);
    const res = await request(source.http)
      .get('/api/admin/export?format=wxr')
      .set(source.admin)
      .buffer(true)
      .parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => done(null, text));
      })
      .expect(200);
    expect(res.headers['content-type']).toContain('application/rss+xml');
    expect(res.headers['content-disposition']).toMatch(
      /attachment; filename="marginalia-.*\.wxr\.xml"/,
    );
    wxr = res.body as string;
  }, 60_000);
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('writes well-formed WXR 1.2 with every article and comment, as WordPress reads it', () => {
    wellFormed(wxr);
    expect(wxr).toContain('<wp:wxr_version>1.2</wp:wxr_version>');
    expect(wxr.match(/<item>/g)).toHaveLength(2);
    expect(wxr.match(/<wp:comment>/g)).toHaveLength(6);
    expect(wxr).toContain('<wp:comment_approved><![CDATA[spam]]></wp:comment_approved>');
    expect(wxr).toContain('<wp:comment_approved><![CDATA[0]]></wp:comment_approved>');
    expect(wxr).toMatch(/<wp:comment_parent>[1-9]\d*<\/wp:comment_parent>/);
    expect(wxr).toContain('<wp:status><![CDATA[draft]]></wp:status>');
  });

  it('imports back into this product unchanged', async () => {
    const run = await request(target.http)
      .post('/api/admin/imports?format=wxr')
      .set(target.admin)
      .set('Content-Type', 'application/xml')
      .send(wxr)
      .expect(202);
    for (let i = 0; i < 200; i++) {
      const r = await request(target.http)
        .get(`/api/admin/imports/${run.body.id}`)
        .set(target.admin);
      if (r.body.status !== 'running') {
        expect(r.body.status).toBe('done');
        expect(r.body.report.comments.imported).toBe(6);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const before = await snapshot(source);
    const after = await snapshot(target);
    expect(before.articles[1]).toMatchObject({
      inline_counts: {
        [String((before.comments.find((c) => c.author_name === 'Inline') ?? {}).anchor_block_id)]:
          1,
      },
    });
    expect(after.articles).toEqual(before.articles);
    expect(after.comments).toEqual(before.comments);
    // Each installation hashes addresses with its own secret; the target's finds its comments.
    const person = await request(target.http)
      .get('/api/admin/people/wang%40example.cn/export')
      .set(target.admin)
      .expect(200);
    expect(person.body.comments).toHaveLength(1);
    // And into the same database: nothing twice.
    const again = await request(source.http)
      .post('/api/admin/imports?format=wxr')
      .set(source.admin)
      .set('Content-Type', 'application/xml')
      .send(wxr)
      .expect(202);
    for (let i = 0; i < 200; i++) {
      const r = await request(source.http)
        .get(`/api/admin/imports/${again.body.id}`)
        .set(source.admin);
      if (r.body.status !== 'running') {
        expect(r.body.report.comments).toEqual({ imported: 0, alreadyImported: 6 });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await snapshot(source)).toEqual(before);
  });

  it('streams JSON lines: one record per article, then one per comment', async () => {
    const res = await request(source.http)
      .get('/api/admin/export?format=jsonl')
      .set(source.admin)
      .buffer(true)
      .parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => done(null, text));
      })
      .expect(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = (res.body as string)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.type === 'article')).toHaveLength(2);
    const comments = lines.filter((l) => l.type === 'comment');
    expect(comments).toHaveLength(6);
    expect(comments.find((c) => c.authorName === '王小明')).toMatchObject({
      depth: 1,
      status: 'approved',
      bodySource: 'A reply <script>alert(1)</script>',
      authorEmail: 'wang@example.cn',
    });
  });

  it('documents the new routes in the OpenAPI document', async () => {
    const doc = await request(source.http).get('/api/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/admin/export',
        '/api/admin/imports',
        '/api/admin/imports/{id}',
        '/api/admin/webhooks',
        '/api/admin/webhooks/{id}',
        '/api/admin/webhooks/{id}/deliveries',
        '/api/data-requests',
      ]),
    );
  });

  it('answers 400 for an unknown format, 401 without a token', async () => {
    await request(source.http).get('/api/admin/export?format=csv').set(source.admin).expect(400);
    await request(source.http).get('/api/admin/export?format=wxr').expect(401);
  });
});
