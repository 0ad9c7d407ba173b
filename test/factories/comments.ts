import request from 'supertest';
import { TestApp } from '../support/app';

let articleSeq = 0;

export interface TestArticle {
  id: string;
  slug: string;
  blocks: { id: string; text: string; inlineCount: number }[];
}

/** A published article of its own, so tests in one file never share a thread. */
export async function createArticle(
  t: TestApp,
  overrides: { body?: string; commentsOpen?: boolean; title?: string } = {},
): Promise<TestArticle> {
  articleSeq += 1;
  const res = await request(t.http)
    .post('/api/admin/articles')
    .set(t.admin)
    .send({
      title: overrides.title ?? `Thread test article ${articleSeq} ${Date.now()}`,
      body:
        overrides.body ??
        'The first paragraph talks about tea and biscuits.\n\nThe second paragraph talks about coffee.\n\nThe third paragraph is short.',
      status: 'published',
      commentsOpen: overrides.commentsOpen ?? true,
    });
  if (res.status !== 201) {
    throw new Error(`creating an article answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body as TestArticle;
}

let commentSeq = 0;

export function commentInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  commentSeq += 1;
  return {
    authorName: `Reader ${commentSeq}`,
    authorEmail: `reader${commentSeq}@example.com`,
    body: `Comment number ${commentSeq}`,
    ...overrides,
  };
}

export interface Posted {
  comment: { id: string; status: string; [key: string]: unknown };
  editToken: string;
  editableUntil: string;
}

export async function postComment(
  t: TestApp,
  slug: string,
  overrides: Record<string, unknown> = {},
): Promise<Posted> {
  const res = await request(t.http)
    .post(`/api/articles/${slug}/comments`)
    .send(commentInput(overrides));
  if (res.status !== 201) {
    throw new Error(`posting a comment answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body as Posted;
}

/**
 * Inserts `count` approved top-level comments on `articleId` straight into the table, one second
 * apart from 2026-01-01 (a site of thousands in a second), and refreshes the planner's statistics.
 */
export async function seedComments(t: TestApp, articleId: string, count: number): Promise<void> {
  await t.dataSource.query(
    `INSERT INTO comments (id, article_id, root_id, depth, path, author_name, author_email,
       author_email_hash, body_source, body_html, render_version, status, edit_token_hash,
       editable_until, created_at, approved_at)
     SELECT u, $1, u, 0, '{}', 'Reader', 'reader@example.com', md5('e' || g), 'Seeded',
       '<p>Seeded</p>', 2, 'approved', md5('t' || g), now(), ts, ts
       FROM (SELECT g, gen_random_uuid() AS u,
               timestamptz '2026-01-01' + g * interval '1 second' AS ts
             FROM generate_series(1, $2::int) g) s`,
    [articleId, count],
  );
  await t.dataSource.query('ANALYZE comments');
}
