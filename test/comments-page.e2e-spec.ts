import { JSDOM } from 'jsdom';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArticle, postComment, TestArticle } from './factories/comments';
import { createTestApp, TestApp } from './support/app';

/** The edit-token cookie among those an answer sets (a write also sets the fresh-writer cookie). */
function ownCookie(header: string | string[] | undefined): string {
  const cookies = Array.isArray(header) ? header : header ? [header] : [];
  return cookies.find((c) => c.startsWith('marginalia-own=')) ?? '';
}

function page(html: string): Document {
  return new JSDOM(html).window.document;
}

const form = (overrides: Record<string, string> = {}) => ({
  authorName: 'Form Reader',
  authorEmail: 'form.reader@example.com',
  body: 'Posted **without** JavaScript',
  notify: 'followups',
  parentId: '',
  anchorBlockId: '',
  anchorExact: '',
  anchorPrefix: '',
  anchorSuffix: '',
  website: '',
  ...overrides,
});

describe('the reader page thread without JavaScript', () => {
  let t: TestApp;
  let article: TestArticle;

  beforeAll(async () => {
    t = await createTestApp();
    article = await createArticle(t);
  });
  afterAll(() => t.close());

  it('shows the prompt, the form with the Notify of choices and the view switch when empty', async () => {
    const res = await request(t.http).get(`/articles/${article.slug}`).expect(200);
    const doc = page(res.text);
    const section = doc.querySelector('section#comments')!;
    expect(section.querySelector('.comments-empty')!.textContent).toBe(
      'Would love your thoughts, please comment.',
    );
    const formEl = section.querySelector('form#comment-form')!;
    expect(formEl.getAttribute('method')).toBe('post');
    // The fragment brings the reader back to the form when it is shown again with errors.
    expect(formEl.getAttribute('action')).toBe(`/articles/${article.slug}/comments#comment-form`);
    for (const id of ['comment-body', 'comment-name', 'comment-email', 'comment-notify']) {
      expect(section.querySelector(`label[for="${id}"]`), id).not.toBeNull();
    }
    expect(section.querySelector('label[for="comment-notify"]')!.textContent).toContain(
      'Notify of',
    );
    const options = [...section.querySelectorAll('#comment-notify option')].map(
      (o) => o.textContent,
    );
    expect(options).toContain('new follow-up comments');
    expect(options).toContain('new replies to my comments');
    const switches = [...section.querySelectorAll('.comment-switch a')].map((a) => a.textContent);
    expect(switches).toEqual(['Inline Feedbacks', 'View all comments']);
    expect(doc.querySelector('script[src="/assets/comments.js"]')).not.toBeNull();
  });

  it('posts a form, redirects 303 to the new comment, and shows it', async () => {
    const res = await request(t.http)
      .post(`/articles/${article.slug}/comments`)
      .type('form')
      .send(form())
      .expect(303);
    // The form asked for notifications: the reader lands on the comment, which tells them to
    // confirm by mail.
    const match = /^\/articles\/[\w-]+\?notify=([0-9a-f-]{36})#comment-([0-9a-f-]{36})$/.exec(
      res.headers.location,
    );
    expect(match).not.toBeNull();
    expect(match![1]).toBe(match![2]);
    match!.splice(1, 1);
    const landing = page(
      (await request(t.http).get(res.headers.location.split('#')[0]).expect(200)).text,
    );
    expect(
      landing.getElementById(`comment-${match![1]}`)!.querySelector('.comment-notice')!.textContent,
    ).toContain('Please check your inbox');
    // The edit token reaches this browser's script only, as a short-lived strict cookie.
    const cookie = ownCookie(res.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^marginalia-own=${match![1]}\\.cet_[\\w-]+;`));
    expect(cookie).toContain(`Path=/articles/${article.slug}`);
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Max-Age=900');
    const [row] = await t.dataSource.query(
      'SELECT notify, author_name FROM comments WHERE id = $1',
      [match![1]],
    );
    expect(row).toEqual({ notify: 'followups', author_name: 'Form Reader' });
    const doc = page((await request(t.http).get(`/articles/${article.slug}`).expect(200)).text);
    const li = doc.getElementById(`comment-${match![1]}`)!;
    expect(li.querySelector('.comment-author')!.textContent).toBe('Form Reader');
    expect(JSON.stringify(li.querySelector('.comment-body')!.innerHTML)).toBe(
      JSON.stringify('<p>Posted <strong>without</strong> JavaScript</p>\n'),
    );
    expect(doc.querySelector('.comments-empty')).toBeNull();
    expect(doc.body.textContent).not.toContain('form.reader@example.com');
  });

  it('replies through ?replyTo and nests the reply', async () => {
    const a = await createArticle(t);
    const root = await postComment(t, a.slug, { authorName: 'Root Author' });
    const res = await request(t.http)
      .get(`/articles/${a.slug}`)
      .query({ replyTo: root.comment.id })
      .expect(200);
    const doc = page(res.text);
    const replyLink = doc.querySelector(`#comment-${root.comment.id} .reply-link`)!;
    expect(replyLink.getAttribute('href')).toContain(`replyTo=${root.comment.id}`);
    expect(replyLink.getAttribute('href')).toMatch(/#reply-form$/);
    expect(doc.querySelector('.replying-to')!.textContent).toContain('Root Author');
    expect(doc.querySelector<HTMLInputElement>('input[name="parentId"]')!.value).toBe(
      root.comment.id,
    );
    const posted = await request(t.http)
      .post(`/articles/${a.slug}/comments`)
      .type('form')
      .send(form({ parentId: root.comment.id, body: 'a reply' }))
      .expect(303);
    const replyId = posted.headers.location.split('#comment-')[1];
    const after = page((await request(t.http).get(`/articles/${a.slug}`).expect(200)).text);
    expect(
      after.querySelector(`#comment-${root.comment.id} .comment-replies #comment-${replyId}`),
    ).not.toBeNull();
  });

  it('indents to 5 levels and shows deeper replies at the fifth', async () => {
    const a = await createArticle(t);
    let parent = (await postComment(t, a.slug)).comment.id;
    const chain = [parent];
    for (let i = 0; i < 7; i++) {
      parent = (await postComment(t, a.slug, { parentId: parent })).comment.id;
      chain.push(parent);
    }
    const doc = page((await request(t.http).get(`/articles/${a.slug}`).expect(200)).text);
    const levels = chain.map((id) => {
      const li = doc.getElementById(`comment-${id}`)!;
      return Number(/comment-level-(\d+)/.exec(li.className)![1]);
    });
    expect(levels).toEqual([0, 1, 2, 3, 4, 5, 5, 5]);
    const nesting = chain.map((id) => {
      let n = 0;
      for (let el = doc.getElementById(`comment-${id}`)!.parentElement; el; el = el.parentElement) {
        n += el.classList.contains('comment-replies') ? 1 : 0;
      }
      return n;
    });
    expect(nesting).toEqual([0, 1, 2, 3, 4, 5, 5, 5]);
  });

  it('shows the form again with the errors and what was typed (400), nothing stored', async () => {
    const a = await createArticle(t);
    const res = await request(t.http)
      .post(`/articles/${a.slug}/comments`)
      .type('form')
      .send(form({ authorEmail: 'not-an-address', body: 'keep <this> text' }))
      .expect(400);
    const doc = page(res.text);
    // One reader's message per field, next to its field and in the summary linking to it.
    const summary = [...doc.querySelectorAll('.comment-errors li')].map((li) => li.textContent);
    expect(summary).toEqual(['Please enter a valid email address.']);
    expect(doc.querySelector('.comment-errors a')!.getAttribute('href')).toBe('#comment-email');
    expect(doc.getElementById('comment-email-error')!.textContent).toBe(
      'Please enter a valid email address.',
    );
    const email = doc.querySelector<HTMLInputElement>('#comment-email')!;
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(email.getAttribute('aria-describedby')).toBe('comment-email-error');
    expect(email.value).toBe('not-an-address');
    expect(doc.body.textContent).not.toContain('authorEmail');
    expect(doc.querySelector('textarea#comment-body')!.textContent).toBe('keep <this> text');
    expect(doc.querySelector<HTMLInputElement>('#comment-name')!.value).toBe('Form Reader');
    const rows = await t.dataSource.query('SELECT 1 FROM comments WHERE article_id = $1', [a.id]);
    expect(rows).toHaveLength(0);
    await request(t.http)
      .post(`/articles/${a.slug}/comments`)
      .type('form')
      .send({ ...form(), admin: '1' })
      .expect(400);
  });

  it('shows 422 problems in the form and 404 for an unknown article', async () => {
    const a = await createArticle(t);
    const res = await request(t.http)
      .post(`/articles/${a.slug}/comments`)
      .type('form')
      .send(form({ anchorBlockId: 'bnotthere' }))
      .expect(422);
    expect(page(res.text).querySelector('.comment-errors')!.textContent).toContain(
      'The passage you quoted is no longer in the article',
    );
    await request(t.http).post('/articles/nope/comments').type('form').send(form()).expect(404);
  });

  it('stores a passage anchor sent by the form', async () => {
    const a = await createArticle(t);
    const block = a.blocks[1];
    const res = await request(t.http)
      .post(`/articles/${a.slug}/comments`)
      .type('form')
      .send(
        form({
          anchorBlockId: block.id,
          anchorExact: 'talks about coffee',
          anchorPrefix: 'paragraph ',
        }),
      )
      .expect(303);
    const id = res.headers.location.split('#comment-')[1];
    const doc = page((await request(t.http).get(`/articles/${a.slug}`).expect(200)).text);
    expect(doc.querySelector(`#comment-${id} .comment-quote`)!.textContent).toContain(
      'talks about coffee',
    );
    const inline = page(
      (await request(t.http).get(`/articles/${a.slug}`).query({ anchor: 'inline' }).expect(200))
        .text,
    );
    expect(inline.querySelectorAll('.comment-list > .comment')).toHaveLength(1);
    expect(inline.querySelector('.switch-inline')!.getAttribute('aria-current')).toBe('page');
    expect(
      JSON.parse(doc.querySelector('.comment-thread')!.getAttribute('data-inline-counts')!),
    ).toEqual({ [block.id]: 1 });
  });

  it('sorts and loads more through links', async () => {
    const a = await createArticle(t);
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      ids.push((await postComment(t, a.slug, { body: `n${i}` })).comment.id);
    }
    const first = page(
      (await request(t.http).get(`/articles/${a.slug}`).query({ sort: 'oldest' })).text,
    );
    const shown = [...first.querySelectorAll('.comment-list > .comment')].map((li) =>
      li.getAttribute('data-comment-id'),
    );
    expect(shown).toHaveLength(20);
    const more = first.querySelector('.load-more-link')!.getAttribute('href')!;
    expect(more).toContain('sort=oldest');
    const second = page(
      (await request(t.http).get(`/articles/${a.slug}${more.split('#')[0]}`)).text,
    );
    const rest = [...second.querySelectorAll('.comment-list > .comment')].map((li) =>
      li.getAttribute('data-comment-id'),
    );
    expect([...shown, ...rest]).toEqual(ids);
    expect(second.querySelector('.load-more-link')).toBeNull();
    const sorts = [...first.querySelectorAll('.comment-sorts a')].map((l) => l.textContent);
    expect(sorts).toEqual(['Newest', 'Oldest', 'Most voted']);
  });
});

describe('the reader page under MODERATION=all', () => {
  it('redirects to a "held for moderation" notice', async () => {
    const t = await createTestApp({ MODERATION: 'all' });
    try {
      const a = await createArticle(t);
      const res = await request(t.http)
        .post(`/articles/${a.slug}/comments`)
        .type('form')
        .send(form())
        .expect(303);
      // The reader lands on the "held" notice; the id and edit token go to this browser's script.
      expect(res.headers.location).toBe(`/articles/${a.slug}?held=1&notify=1#comment-held`);
      expect(ownCookie(res.headers['set-cookie'])).toMatch(/^marginalia-own=[0-9a-f-]{36}\.cet_/);
      const doc = page((await request(t.http).get(res.headers.location.split('#')[0])).text);
      expect(doc.querySelector('#comment-held')!.textContent).toContain('held for moderation');
      expect(doc.querySelector('#comment-confirm-mail')!.textContent).toContain('check your inbox');
      expect(doc.querySelectorAll('.comment-list > .comment')).toHaveLength(0);
    } finally {
      await t.close();
    }
  });
});
