import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from './factories/moderation';
import { createArticle, postComment } from './factories/comments';
import { createTestApp, TestApp } from './support/app';
import { SmtpSink } from './support/smtp-sink';

/**
 * Every comment-side table is meant to be distributed by article (docs/scaling.md): a statement on
 * one of them without an article filter reaches every shard. This run captures the SQL a
 * representative session sends (readers, writers, moderators, the dispatcher) and fails on any
 * such statement not listed, with the reason it may cross articles, in
 * test/fixtures/cross-article-queries.json — so every cross-article query is a choice.
 */

const COMMENT_SIDE =
  /\b(comments|comment_votes|comment_revisions|comment_reports|comment_notifications|moderation_events)\b/;
/** An equality (or list) on article_id, or an insert that carries it, pins the statement to one article. */
const ARTICLE_FILTER = /article_id"?\s*(=|in\s*\(|=\s*any)|insert into "?\w+"?\s*\([^)]*article_id/;

export function normalize(sql: string): string {
  return (
    sql
      .replace(/--[^\n]*/g, ' ')
      .replace(/'(?:[^']|'')*'/g, '?')
      .replace(/\$\d+/g, '$')
      .replace(/\b\d+\b/g, '?')
      .replace(/\s+/g, ' ')
      .replace(/\(\$(?:, \$)*\)/g, '($*)')
      .trim()
      .toLowerCase()
      // TypeORM's select lists name every column: a new column must not make a new statement.
      .replace(/^select (?:"\w+"\."\w+" as "\w+"(?:, )?)+ from /, 'select … from ')
  );
}

function crossArticle(sql: string): boolean {
  return (
    COMMENT_SIDE.test(sql) &&
    !ARTICLE_FILTER.test(sql) &&
    !/^(create|alter|drop|comment on|start transaction|begin|commit|rollback)\b/.test(sql)
  );
}

const listed = (
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'cross-article-queries.json'), 'utf8')) as {
    sql: string;
    why: string;
  }[]
).map((e) => e.sql);

describe('comment-side SQL names its article (Citus readiness)', () => {
  const captured = new Set<string>();
  const original = pg.Client.prototype.query;
  let t: TestApp;
  const sink = new SmtpSink();

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp({
      MODERATION: 'first',
      MAIL_DISPATCHER: 'on',
      SMTP_URL: sink.url,
      MAIL_POLL_MS: '50',
      THREAD_CACHE_MS: '1000',
    });
    const record = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      const text = typeof first === 'string' ? first : first?.text;
      if (text) {
        captured.add(normalize(text));
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    pg.Client.prototype.query = record as typeof original;
  });
  afterAll(async () => {
    pg.Client.prototype.query = original;
    await t?.close();
    await sink.stop();
  });

  it('a representative session sends no unlisted cross-article statement on comment-side tables', async () => {
    const admin = t.admin;
    const moderator = await adminToken(t, 'scope-moderator', 'moderator');
    await request(t.http)
      .put('/api/admin/settings/moderation')
      .set(admin)
      .send({ moderatorEmails: ['mod@example.com'], reportThreshold: 2 })
      .expect(200);
    const article = await createArticle(t);
    const http = request(t.http);
    // Readers write: a first comment (held), one with an anchor, replies, votes, an edit, a delete.
    const first = await postComment(t, article.slug, {
      authorEmail: 'alice@example.com',
      notify: 'replies',
    });
    await http
      .patch(`/api/admin/comments/${first.comment.id}`)
      .set(moderator)
      .send({ status: 'approved' })
      .expect(200);
    const second = await postComment(t, article.slug, {
      authorEmail: 'alice@example.com',
      anchor: { blockId: article.blocks[0].id, quote: { exact: 'tea and biscuits' } },
    });
    const reply = await postComment(t, article.slug, {
      authorEmail: 'bob@example.com',
      parentId: first.comment.id,
    });
    await http
      .patch(`/api/admin/comments/${reply.comment.id}`)
      .set(moderator)
      .send({ status: 'approved' });
    await postComment(t, article.slug, {
      authorEmail: 'bob@example.com',
      parentId: reply.comment.id,
    });
    for (const voter of ['voter-aaaaaaaaaaaaaaaa', 'voter-bbbbbbbbbbbbbbbb']) {
      await http
        .put(`/api/comments/${first.comment.id}/vote`)
        .set('X-Voter-Id', voter)
        .send({ value: 1 })
        .expect(200);
    }
    await http
      .patch(`/api/comments/${second.comment.id}`)
      .set('X-Edit-Token', second.editToken)
      .send({ body: 'Edited body' })
      .expect(200);
    await http
      .get(`/api/comments/${second.comment.id}`)
      .set('X-Edit-Token', second.editToken)
      .expect(200);
    const doomed = await postComment(t, article.slug, { authorEmail: 'alice@example.com' });
    await http
      .delete(`/api/comments/${doomed.comment.id}`)
      .set('X-Edit-Token', doomed.editToken)
      .expect(204);
    await http
      .post(`/api/articles/${article.slug}/subscriptions`)
      .send({ email: 'carol@example.com', kind: 'followups' })
      .expect(202);
    // Readers read.
    for (const sort of ['newest', 'oldest', 'top']) {
      await http.get(`/api/articles/${article.slug}/comments?sort=${sort}&limit=2`).expect(200);
    }
    await http.get(`/api/articles/${article.slug}/comments?anchor=inline`).expect(200);
    await http
      .get(`/api/articles/${article.slug}/comments?anchor=${article.blocks[0].id}`)
      .expect(200);
    await http.get(`/api/comments/${first.comment.id}/replies`).expect(200);
    await http.get(`/api/comments/${reply.comment.id}/replies`).expect(200);
    await http.get(`/api/articles/${article.slug}/comments/count`).expect(200);
    await http
      .post('/api/comments/counts')
      .send({ slugs: [article.slug] })
      .expect(200);
    await http.get(`/articles/${article.slug}`).expect(200);
    // Reports hold the comment; then moderators.
    for (const voter of ['voter-cccccccccccccccc', 'voter-dddddddddddddddd']) {
      await http
        .post(`/api/comments/${first.comment.id}/reports`)
        .set('X-Voter-Id', voter)
        .send({ reason: 'off topic' })
        .expect(202);
    }
    for (const status of ['pending', 'approved', 'reported', 'spam', 'trash']) {
      await http.get(`/api/admin/comments?status=${status}`).set(moderator).expect(200);
    }
    await http
      .get(`/api/admin/comments?status=pending&article=${article.slug}`)
      .set(moderator)
      .expect(200);
    await http.get(`/api/admin/comments/${first.comment.id}`).set(moderator).expect(200);
    await http.get(`/api/admin/comments/${first.comment.id}/events`).set(moderator).expect(200);
    await http
      .patch(`/api/admin/comments/${first.comment.id}`)
      .set(moderator)
      .send({ pinned: true, body: 'Moderated body' })
      .expect(200);
    await http
      .post('/api/admin/comments/bulk')
      .set(moderator)
      .send({ ids: [second.comment.id, reply.comment.id], status: 'approved' })
      .expect(200);
    await http.delete(`/api/admin/comments/${second.comment.id}`).set(moderator).expect(204);
    // Editors change the article (inline comments re-anchor); a person's data is exported and erased.
    await http
      .patch(`/api/admin/articles/${article.slug}`)
      .set(admin)
      .send({ body: 'A new first paragraph.\n\nThe first paragraph talks about tea and biscuits.' })
      .expect(200);
    await http.get('/api/admin/people/bob@example.com/export').set(admin).expect(200);
    await http.delete('/api/admin/people/bob@example.com').set(admin).expect(204);
    // The dispatcher sends what all this queued (confirmations, alerts, notifications).
    await sink.waitForCount(2, 15_000);
    await new Promise((r) => setTimeout(r, 500));

    const comment = [...captured].filter((sql) => COMMENT_SIDE.test(sql));
    expect(comment.length).toBeGreaterThan(20);
    const unlisted = [...captured].filter((sql) => crossArticle(sql) && !listed.includes(sql));
    // QUERY_SCOPE_DUMP=file writes every cross-article statement seen, to review the list.
    if (process.env.QUERY_SCOPE_DUMP) {
      const seen = [...captured].filter(crossArticle).sort();
      writeFileSync(process.env.QUERY_SCOPE_DUMP, JSON.stringify(seen, null, 2));
    }
    expect(
      unlisted,
      'comment-side statements without an article filter: add `article_id = …`, or list them with a reason',
    ).toEqual([]);
  });
});
