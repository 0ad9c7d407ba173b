import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';

interface Block {
  id: string;
  type: string;
  text: string;
  html: string;
}

const BODY = ['First paragraph.', 'Second paragraph.', 'Third paragraph.'].join('\n\n');

describe('admin articles', () => {
  let t: TestApp;
  let n = 0;
  const slug = () => `admin-test-${++n}`;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  function create(input: Record<string, unknown>) {
    return request(t.http).post('/api/admin/articles').set(t.admin).send(input);
  }

  it('creates a draft that the public cannot see, then publishes it', async () => {
    const s = slug();
    const created = await create({ title: 'A draft', slug: s, body: BODY }).expect(201);
    expect(created.body).toMatchObject({
      slug: s,
      title: 'A draft',
      status: 'draft',
      publishedAt: null,
      commentsOpen: true,
      commentCount: 0,
      summary: 'First paragraph.',
      author: null,
    });
    expect(created.body.blocks.map((b: Block) => b.text)).toEqual([
      'First paragraph.',
      'Second paragraph.',
      'Third paragraph.',
    ]);
    await request(t.http).get(`/api/articles/${s}`).expect(404);
    await request(t.http).get(`/articles/${s}`).expect(404);
    const listed = await request(t.http).get('/api/articles').expect(200);
    expect(listed.body.items.map((a: { slug: string }) => a.slug)).not.toContain(s);

    const published = await request(t.http)
      .patch(`/api/admin/articles/${s}`)
      .set(t.admin)
      .send({ status: 'published' })
      .expect(200);
    expect(published.body.status).toBe('published');
    expect(Date.parse(published.body.publishedAt)).toBeGreaterThan(Date.now() - 60_000);
    const pub = await request(t.http).get(`/api/articles/${s}`).expect(200);
    expect(pub.body.blocks.map((b: Block) => b.id)).toEqual(
      created.body.blocks.map((b: Block) => b.id),
    );
    const page = await request(t.http).get(`/articles/${s}`).expect(200);
    expect(page.text).toContain('Second paragraph.');
  });

  it('derives the slug from the title and creates a published article', async () => {
    const res = await create({
      title: 'Ça va? Über café: 2 things!',
      body: 'Hello.',
      status: 'published',
      author: 'Jane Doe',
      summary: 'Short.',
    }).expect(201);
    expect(res.body.slug).toBe('ca-va-uber-cafe-2-things');
    expect(res.body).toMatchObject({ status: 'published', author: 'Jane Doe', summary: 'Short.' });
    await request(t.http).get('/api/articles/ca-va-uber-cafe-2-things').expect(200);
  });

  it('unpublishes: the article and its page answer 404 and it leaves the public list', async () => {
    const s = slug();
    await create({ title: 'Soon gone', slug: s, body: BODY, status: 'published' }).expect(201);
    await request(t.http).get(`/api/articles/${s}`).expect(200);
    await request(t.http)
      .patch(`/api/admin/articles/${s}`)
      .set(t.admin)
      .send({ status: 'draft' })
      .expect(200);
    const api = await request(t.http).get(`/api/articles/${s}`).expect(404);
    expect(api.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'article not found' });
    const page = await request(t.http).get(`/articles/${s}`).set('Accept', 'text/html').expect(404);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const listed = await request(t.http).get('/api/articles').expect(200);
    expect(listed.body.items.map((a: { slug: string }) => a.slug)).not.toContain(s);
    // Editors still see it.
    const admin = await request(t.http).get(`/api/admin/articles/${s}`).set(t.admin).expect(200);
    expect(admin.body.status).toBe('draft');
    const all = await request(t.http).get('/api/admin/articles?limit=100').set(t.admin).expect(200);
    expect(all.body.items.map((a: { slug: string }) => a.slug)).toContain(s);
  });

  it('closes and reopens comments', async () => {
    const s = slug();
    await create({ title: 'Closing', slug: s, body: BODY, status: 'published' }).expect(201);
    const closed = await request(t.http)
      .patch(`/api/admin/articles/${s}`)
      .set(t.admin)
      .send({ commentsOpen: false })
      .expect(200);
    expect(closed.body.commentsOpen).toBe(false);
    expect((await request(t.http).get(`/api/articles/${s}`)).body.commentsOpen).toBe(false);
    await request(t.http)
      .patch(`/api/admin/articles/${s}`)
      .set(t.admin)
      .send({ commentsOpen: true })
      .expect(200);
    expect((await request(t.http).get(`/api/articles/${s}`)).body.commentsOpen).toBe(true);
  });

  it('keeps the ids of unchanged and moved blocks when the body is edited; new text gets new ids', async () => {
    const s = slug();
    const before = (
      await create({
        title: 'Edits',
        slug: s,
        body: ['Alpha one.', 'Beta two.', 'Gamma three.', 'Delta four.'].join('\n\n'),
        status: 'published',
      }).expect(201)
    ).body.blocks as Block[];
    const id = (text: string) => before.find((b) => b.text === text)!.id;
    const edited = await request(t.http)
      .patch(`/api/admin/articles/${s}`)
      .set(t.admin)
      .send({
        // Gamma moved to the top, Beta was rewritten, Delta kept, Alpha removed, Epsilon is new.
        body: ['Gamma three.', 'Beta two, rewritten.', 'Delta four.', 'Epsilon five.'].join('\n\n'),
      })
      .expect(200);
    const after = edited.body.blocks as Block[];
    expect(after.map((b) => b.text)).toEqual([
      'Gamma three.',
      'Beta two, rewritten.',
      'Delta four.',
      'Epsilon five.',
    ]);
    expect(after[0].id).toBe(id('Gamma three.'));
    expect(after[2].id).toBe(id('Delta four.'));
    const oldIds = new Set(before.map((b) => b.id));
    expect(oldIds.has(after[1].id)).toBe(false);
    expect(oldIds.has(after[3].id)).toBe(false);
    expect(new Set(after.map((b) => b.id)).size).toBe(4);
    // What the public reads is the edited version with the same ids.
    const pub = await request(t.http).get(`/api/articles/${s}`).expect(200);
    expect(pub.body.blocks.map((b: Block) => b.id)).toEqual(after.map((b) => b.id));
  });

  it('keeps ids of identical paragraphs in order and edits other fields without touching blocks', async () => {
    const s = slug();
    const before = (
      await create({ title: 'Twins', slug: s, body: 'Same.\n\nSame.\n\nOther.' }).expect(201)
    ).body.blocks as Block[];
    const renamed = await request(t.http)
      .patch(`/api/admin/articles/${s}`)
      .set(t.admin)
      .send({ title: 'Twins, renamed', author: 'Ed Itor', summary: 'New summary.' })
      .expect(200);
    expect(renamed.body).toMatchObject({
      title: 'Twins, renamed',
      author: 'Ed Itor',
      summary: 'New summary.',
    });
    expect(renamed.body.blocks.map((b: Block) => b.id)).toEqual(before.map((b) => b.id));
    const swapped = await request(t.http)
      .patch(`/api/admin/articles/${s}`)
      .set(t.admin)
      .send({ body: 'Other.\n\nSame.\n\nSame.' })
      .expect(200);
    expect(swapped.body.blocks.map((b: Block) => b.id)).toEqual([
      before[2].id,
      before[0].id,
      before[1].id,
    ]);
  });

  it('renames the slug; the old slug is gone and a taken slug is a 409', async () => {
    const a = slug();
    const b = slug();
    await create({ title: 'A', slug: a, body: BODY, status: 'published' }).expect(201);
    await create({ title: 'B', slug: b, body: BODY, status: 'published' }).expect(201);
    const dup = await create({ title: 'A again', slug: a, body: BODY }).expect(409);
    expect(dup.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    expect(dup.body.message).toContain(a);
    const clash = await request(t.http)
      .patch(`/api/admin/articles/${b}`)
      .set(t.admin)
      .send({ slug: a })
      .expect(409);
    expect(clash.body.statusCode).toBe(409);
    const renamed = `${b}-renamed`;
    await request(t.http)
      .patch(`/api/admin/articles/${b}`)
      .set(t.admin)
      .send({ slug: renamed })
      .expect(200);
    await request(t.http).get(`/api/articles/${b}`).expect(404);
    await request(t.http).get(`/api/articles/${renamed}`).expect(200);
  });

  it('answers 404 for editing or reading an unknown article', async () => {
    await request(t.http)
      .patch('/api/admin/articles/no-such-article')
      .set(t.admin)
      .send({ title: 'x' })
      .expect(404);
    await request(t.http).get('/api/admin/articles/no-such-article').set(t.admin).expect(404);
  });

  it.each([
    ['no title', { body: 'x' }],
    ['no body', { title: 'x' }],
    ['empty body', { title: 'x', body: '' }],
    ['a bad slug', { title: 'x', body: 'x', slug: 'Not A Slug' }],
    ['a bad status', { title: 'x', body: 'x', status: 'archived' }],
    ['commentsOpen not boolean', { title: 'x', body: 'x', commentsOpen: 'yes' }],
    ['an unknown field', { title: 'x', body: 'x', commentCount: 5 }],
    ['a title that is a number', { title: 5, body: 'x' }],
  ])('rejects a create with %s (400)', async (_case, input) => {
    const res = await create(input).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(typeof res.body.message).toBe('string');
  });

  it('rejects an edit with an unknown field or a bad status (400) and changes nothing', async () => {
    const s = slug();
    await create({ title: 'Stable', slug: s, body: BODY }).expect(201);
    await request(t.http)
      .patch(`/api/admin/articles/${s}`)
      .set(t.admin)
      .send({ title: 'Changed', id: 'forged' })
      .expect(400);
    await request(t.http)
      .patch(`/api/admin/articles/${s}`)
      .set(t.admin)
      .send({ status: 'deleted' })
      .expect(400);
    const res = await request(t.http).get(`/api/admin/articles/${s}`).set(t.admin).expect(200);
    expect(res.body.title).toBe('Stable');
  });

  it('pages the public list with an opaque cursor and rejects a broken cursor and bad limits', async () => {
    for (let i = 0; i < 3; i++) {
      await create({ title: `Paged ${i}`, slug: slug(), body: BODY, status: 'published' }).expect(
        201,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await request(t.http)
        .get('/api/articles')
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((a: { slug: string }) => a.slug));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const full = await request(t.http).get('/api/articles?limit=100').expect(200);
    expect(seen).toEqual(full.body.items.map((a: { slug: string }) => a.slug));
    await request(t.http).get('/api/articles?cursor=garbage').expect(400);
    await request(t.http).get('/api/articles?limit=0').expect(400);
    await request(t.http).get('/api/articles?limit=101').expect(400);
    await request(t.http).get('/api/articles?limit=abc').expect(400);
  });
});
