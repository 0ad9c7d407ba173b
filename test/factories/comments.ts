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
