import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, TestApp } from './support/app';
import { waitForEml } from './support/eml-files';
import { headerLines } from './support/smtp-sink';
import { createArticle, postComment } from './factories/comments';

/**
 * The embedded default (PGlite, one connection; `.eml` files): the in-transaction subscription
 * request, fan-out, digest amendment and withdrawal must all run on the comment's own connection.
 */
describe('notifications on the embedded default (PGlite + .eml files)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'marginalia-notify-embedded-'));
  const mailDir = join(dataDir, 'mail');
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      MAIL_DISPATCHER: 'on',
      MAIL_POLL_MS: '100',
      MAIL_FROM: 'Marginalia <notify@marginalia.test>',
      NOTIFY_DIGEST_THRESHOLD: '1',
      NOTIFY_DIGEST_WINDOW_MINUTES: '0.05',
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const mailTo = (address: string, count: number) => waitForEml(mailDir, address, count, 20_000);

  it('confirms a comment subscription, then sends a reply alone and folds the next ones into a digest', async () => {
    expect(t.config.database.kind).toBe('pglite');
    const article = await createArticle(t, { title: 'Embedded thread' });
    const owner = 'owner@example.org';
    const parent = await postComment(t, article.slug, {
      authorEmail: owner,
      notify: 'replies',
      body: 'Ask me',
    });
    const [confirmation] = await mailTo(owner, 1);
    const text = (await simpleParser(confirmation)).text ?? '';
    const token = /\/confirm\?token=([A-Za-z0-9_-]{43})/.exec(text)![1];
    await request(t.http)
      .post('/api/subscriptions/confirm')
      .send({ token })
      .expect(200, { status: 'confirmed', kind: 'replies' });

    for (const body of ['First answer', 'Second answer', 'Third answer', 'Withdrawn answer']) {
      const reply = await postComment(t, article.slug, { parentId: parent.comment.id, body });
      if (body === 'Withdrawn answer') {
        await request(t.http)
          .delete(`/api/comments/${reply.comment.id}`)
          .set('X-Edit-Token', reply.editToken)
          .expect(204);
      }
    }
    await mailTo(owner, 3);
    await new Promise((r) => setTimeout(r, 1000));
    const all = await mailTo(owner, 3);
    expect(all).toHaveLength(3);
    const parsed = await Promise.all(all.map((raw) => simpleParser(raw)));
    const singles = parsed.filter(
      (m) => m.subject === 'New reply to your comment on “Embedded thread”',
    );
    const digests = parsed.filter((m) => m.subject === 'New comments on “Embedded thread”');
    expect(singles).toHaveLength(1);
    expect(digests).toHaveLength(1);
    expect(singles[0].text).toContain('First answer');
    const digest = digests[0];
    expect(digest.text).toContain('Second answer');
    expect(digest.text).toContain('Third answer');
    expect(digest.text).not.toContain('First answer');
    expect(digest.text).not.toContain('Withdrawn answer');
    const digestRaw = all[parsed.indexOf(digest)];
    expect(headerLines(digestRaw, 'In-Reply-To')).toEqual([
      `<article-${article.id}@marginalia.test>`,
    ]);
  });
});
