import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { FIELD_ERROR_CODES } from '../common/validation-errors';
import { EMAIL_STATUSES } from '../mail/dto/email.dto';
import { WEBHOOK_EVENTS } from '../webhooks/webhook-events';

type Schema = Record<string, unknown>;
type Json = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** OpenAPI 3.0 spells "or null" as `nullable` (beside a type, or around a $ref). */
const nullable = (schema: Schema): Schema =>
  '$ref' in schema ? { allOf: [schema], nullable: true } : { ...schema, nullable: true };
const str = { type: 'string' };
const int = { type: 'integer' };
const time = { type: 'string', format: 'date-time' };
const page = (item: string): Schema => ({
  type: 'object',
  required: ['items', 'nextCursor'],
  additionalProperties: false,
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: nullable(str) },
});
const object = (properties: Record<string, Schema>, optional: string[] = []): Schema => ({
  type: 'object',
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  additionalProperties: false,
  properties,
});

const COMMENT_NODE_PROPERTIES: Record<string, Schema> = {
  id: { type: 'string', format: 'uuid' },
  parentId: nullable({ type: 'string', format: 'uuid' }),
  depth: int,
  authorName: nullable(str),
  bodyHtml: nullable({
    type: 'string',
    description: 'sanitized HTML, rendered once at write time',
  }),
  createdAt: time,
  editedAt: nullable(time),
  status: { type: 'string', enum: ['approved', 'deleted', 'pending'] },
  anchor: nullable(ref('Anchor')),
  pinned: { type: 'boolean' },
  votes: object({ up: int, down: int, score: int }),
  replyCount: int,
  replies: { type: 'array', items: ref('CommentNode') },
  moreReplies: { type: 'boolean' },
};

const ARTICLE_SUMMARY_PROPERTIES: Record<string, Schema> = {
  id: { type: 'string', format: 'uuid' },
  slug: str,
  title: str,
  summary: str,
  author: nullable(str),
  status: { type: 'string', enum: ['draft', 'published'] },
  publishedAt: nullable(time),
  updatedAt: time,
  commentsOpen: { type: 'boolean' },
  commentCount: int,
};

/** Response schemas: what the API answers, checked against real answers by the e2e suite. */
const SCHEMAS: Record<string, Schema> = {
  Error: object({ statusCode: int, error: str, message: str }),
  BadRequest: object(
    {
      statusCode: { type: 'integer', enum: [400] },
      error: str,
      message: { type: 'string', description: "the validators' own sentences, joined" },
      errors: {
        type: 'array',
        description: 'one entry per invalid field',
        items: object({
          field: {
            type: 'string',
            description: 'path in the body or query, e.g. anchor.quote.exact',
          },
          code: { type: 'string', enum: [...FIELD_ERROR_CODES] },
          message: { type: 'string', description: 'a sentence to show a reader as is' },
        }),
      },
    },
    ['errors'],
  ),
  Health: object({
    status: { type: 'string', enum: ['ok'] },
    db: { type: 'string', enum: ['up'] },
  }),
  Liveness: object({ status: { type: 'string', enum: ['ok'] } }),
  Block: object({ id: str, type: str, html: str, text: str, inlineCount: int }),
  ArticleSummary: object(ARTICLE_SUMMARY_PROPERTIES),
  Article: object({
    ...ARTICLE_SUMMARY_PROPERTIES,
    blocks: { type: 'array', items: ref('Block') },
  }),
  ArticlePage: page('ArticleSummary'),
  Quote: object({ exact: str, prefix: str, suffix: str }, ['prefix', 'suffix']),
  Anchor: object({
    blockId: str,
    quote: nullable(ref('Quote')),
    state: { type: 'string', enum: ['anchored', 'orphaned'] },
  }),
  CommentNode: object(COMMENT_NODE_PROPERTIES),
  ThreadPage: {
    type: 'object',
    required: ['items', 'nextCursor', 'total'],
    additionalProperties: false,
    properties: {
      items: { type: 'array', items: ref('CommentNode') },
      nextCursor: nullable(str),
      total: int,
    },
  },
  CommentPage: page('CommentNode'),
  PostedComment: object({
    comment: ref('CommentNode'),
    editToken: { type: 'string', description: 'send as X-Edit-Token to edit or delete' },
    editableUntil: time,
  }),
  CommentCount: object({
    total: int,
    inline: { type: 'object', additionalProperties: int, description: 'per block id' },
  }),
  CommentCounts: {
    type: 'object',
    additionalProperties: int,
    description: 'comment count per slug',
  },
  Vote: object({ up: int, down: int, score: int, myVote: { type: 'integer', enum: [1, 0, -1] } }),
  Pending: object({ status: { type: 'string', enum: ['pending'] } }),
  Confirmed: object({ status: { type: 'string', enum: ['confirmed'] }, kind: str }),
  Unsubscribed: object({ status: { type: 'string', enum: ['unsubscribed'] }, kind: str }),
  AdminComment: {
    type: 'object',
    additionalProperties: false,
    required: [
      ...Object.keys(COMMENT_NODE_PROPERTIES),
      'bodySource',
      'authorEmail',
      'ipHash',
      'userAgent',
      'articleSlug',
      'reasons',
      'reports',
    ],
    properties: {
      ...COMMENT_NODE_PROPERTIES,
      status: { type: 'string', enum: ['pending', 'approved', 'spam', 'trash', 'deleted'] },
      replies: { type: 'array', items: ref('CommentNode') },
      bodySource: str,
      authorEmail: str,
      ipHash: nullable(str),
      userAgent: nullable(str),
      articleSlug: str,
      reasons: { type: 'array', items: str },
      reports: { type: 'array', items: object({ reason: str, at: time }) },
    },
  },
  AdminCommentPage: page('AdminComment'),
  Updated: object({ updated: int }),
  ModerationEvent: object({
    id: str,
    actor: str,
    action: str,
    fromStatus: nullable(str),
    toStatus: nullable(str),
    reason: nullable(str),
    details: {},
    at: time,
  }),
  ModerationEventPage: page('ModerationEvent'),
  ModerationSettings: object({
    mode: { type: 'string', enum: ['none', 'first', 'all'] },
    maxLinks: int,
    holdWords: { type: 'array', items: str },
    blockWords: { type: 'array', items: str },
    blockedEmails: { type: 'array', items: str },
    blockedIps: { type: 'array', items: str },
    reportThreshold: int,
    moderatorEmails: { type: 'array', items: str },
  }),
  Email: object({
    id: { type: 'string', format: 'uuid' },
    to: str,
    template: str,
    stream: { type: 'string', enum: ['transactional', 'notification', 'newsletter'] },
    status: { type: 'string', enum: EMAIL_STATUSES },
    attempts: int,
    createdAt: time,
    sentAt: nullable(time),
    lastError: nullable(str),
    messageId: nullable(str),
    nextAttemptAt: nullable(time),
  }),
  EmailPage: page('Email'),
  EmailCounts: object(Object.fromEntries(EMAIL_STATUSES.map((status) => [status, int]))),
  EmailStats: object({ total: int, byStatus: ref('EmailCounts') }),
  NewsletterIssueDetail: object({
    id: { type: 'string', format: 'uuid' },
    subject: str,
    recipients: int,
    createdBy: nullable(str),
    createdAt: time,
    queuedAt: nullable(time),
    emails: ref('EmailCounts'),
  }),
  Subscription: object({
    id: { type: 'string', format: 'uuid' },
    email: str,
    kind: { type: 'string', enum: ['newsletter', 'followups', 'replies'] },
    status: { type: 'string', enum: ['pending', 'confirmed', 'unsubscribed', 'bounced'] },
    articleSlug: nullable(str),
    createdAt: time,
    confirmedAt: nullable(time),
    unsubscribedAt: nullable(time),
    consent: object({
      at: time,
      ip: nullable(str),
      userAgent: nullable(str),
      source: str,
      textVersion: str,
      confirmedIp: nullable(str),
      confirmedUserAgent: nullable(str),
    }),
  }),
  SubscriptionPage: page('Subscription'),
  NewsletterIssue: object({ id: { type: 'string', format: 'uuid' }, recipients: int }),
  PersonExport: {
    type: 'object',
    description: 'everything held about the address: comments, subscriptions, mail, suppression',
    required: ['email', 'comments', 'subscriptions', 'emails'],
    properties: {
      email: str,
      comments: { type: 'array', items: { type: 'object' } },
      subscriptions: { type: 'array', items: { type: 'object' } },
      emails: { type: 'array', items: { type: 'object' } },
    },
  },
};

const IMPORT_REPORT = object({
  articles: object({ created: int, matched: int }),
  comments: object({ imported: int, alreadyImported: int }),
  skipped: {
    type: 'object',
    additionalProperties: int,
    description: 'items not imported, by reason (`pingback`, `attachment`, `thread not matched`…)',
  },
  notes: {
    type: 'object',
    additionalProperties: int,
    description:
      'imported, but not quite as in the file (a missing parent made a reply top-level…)',
  },
  unmatchedThreads: {
    type: 'array',
    description: 'Disqus threads no article matched (at most 100 listed)',
    items: object({ id: str, link: str, title: str }),
  },
});

const WEBHOOK_PROPERTIES: Record<string, Schema> = {
  id: { type: 'string', format: 'uuid' },
  url: str,
  events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENTS] } },
  description: str,
  status: { type: 'string', enum: ['active', 'disabled'] },
  consecutiveFailures: int,
  disabledReason: nullable(str),
  disabledAt: nullable(time),
  createdAt: time,
};

Object.assign(SCHEMAS, {
  ImportRun: object({
    id: { type: 'string', format: 'uuid' },
    format: { type: 'string', enum: ['wxr', 'disqus'] },
    fileName: str,
    status: { type: 'string', enum: ['running', 'done', 'failed'] },
    bytesTotal: nullable(int),
    bytesRead: int,
    percent: nullable({ type: 'integer', minimum: 0, maximum: 100 }),
    report: IMPORT_REPORT,
    error: nullable(str),
    startedAt: time,
    finishedAt: nullable(time),
  }),
  ImportRunPage: page('ImportRun'),
  ExportArticleLine: object({
    type: { type: 'string', enum: ['article'] },
    id: { type: 'string', format: 'uuid' },
    slug: str,
    url: str,
    title: str,
    author: nullable(str),
    status: { type: 'string', enum: ['draft', 'published'] },
    publishedAt: nullable(time),
    bodySource: str,
  }),
  ExportCommentLine: object({
    type: { type: 'string', enum: ['comment'] },
    id: { type: 'string', format: 'uuid' },
    articleId: { type: 'string', format: 'uuid' },
    articleSlug: str,
    parentId: nullable({ type: 'string', format: 'uuid' }),
    rootId: { type: 'string', format: 'uuid' },
    depth: int,
    status: str,
    authorName: str,
    authorEmail: str,
    bodySource: str,
    bodyHtml: str,
    originalHtml: nullable(str),
    anchor: nullable(object({ blockId: str, quote: nullable(ref('Quote')) })),
    pinned: { type: 'boolean' },
    votes: object({ up: int, down: int }),
    createdAt: time,
    editedAt: nullable(time),
    approvedAt: nullable(time),
  }),
  ExportLine: {
    description: 'one line of the JSON lines export: an article, then its comments',
    oneOf: [ref('ExportArticleLine'), ref('ExportCommentLine')],
  },
  Webhook: object(WEBHOOK_PROPERTIES),
  WebhookCreated: object({
    ...WEBHOOK_PROPERTIES,
    secret: { type: 'string', description: 'the signing secret, shown in this answer only' },
  }),
  WebhookPage: page('Webhook'),
  WebhookDelivery: object({
    id: { type: 'string', format: 'uuid' },
    eventId: str,
    eventType: { type: 'string', enum: [...WEBHOOK_EVENTS] },
    status: { type: 'string', enum: ['queued', 'claimed', 'failed', 'delivered', 'dead'] },
    attempts: int,
    nextAttemptAt: nullable(time),
    lastStatusCode: nullable(int),
    lastError: nullable(str),
    deliveredAt: nullable(time),
    createdAt: time,
  }),
  WebhookDeliveryPage: page('WebhookDelivery'),
} satisfies Record<string, Schema>);

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: `errors` lists each invalid field when validation failed',
  401: 'No valid admin bearer token',
  403: 'The token may not do this (moderator tokens: comment moderation only)',
  404: 'Not found (or not published)',
  409: 'Conflicts with the current state',
  410: 'Expired',
  413: 'Body larger than 64 kB',
  415: 'Body is not application/json',
  422: 'Well-formed but inconsistent',
  429: 'Rate limited; see Retry-After',
  503: 'The database is unavailable; see Retry-After',
};

interface OperationDoc {
  module: string;
  summary: string;
  description: string;
  /** Success status and its JSON schema (null: no JSON body). */
  ok: [number, string | null];
  /** A success body that is not JSON: media type → media type object (a stream, a file). */
  produces?: Record<string, Json>;
  /** A request body that is not a JSON DTO: media type → media type object. */
  consumes?: Record<string, Json>;
  /** Headers of the success answer. */
  headers?: Record<string, Json>;
  errors?: number[];
  /** What an error status means here, when it is not what ERROR_TEXT says. */
  errorText?: Record<number, string>;
  list?: boolean;
}

const ADMIN = [401, 403];
const W = [400, 413, 415];

/** Every operation of the API, described; test/openapi.e2e-spec.ts fails on one missing here. */
const OPERATIONS: Record<string, OperationDoc> = {
  'get /api/health': {
    module: 'health',
    summary: 'Readiness',
    description: 'Checks the database with a 1 s timeout. 503 while it is down or during shutdown.',
    ok: [200, 'Health'],
  },
  'get /api/health/live': {
    module: 'health',
    summary: 'Liveness',
    description:
      'Answers while the process runs, whatever the database does (restart decisions should not ' +
      'hinge on PostgreSQL); 503 once shutdown has begun. Touches no database.',
    ok: [200, 'Liveness'],
    errorText: { 503: 'Shutdown has begun' },
  },
  'get /api/articles': {
    module: 'articles',
    summary: 'List published articles',
    description: 'Newest first, keyset-paged.',
    ok: [200, 'ArticlePage'],
    errors: [400],
    list: true,
  },
  'get /api/articles/{slug}': {
    module: 'articles',
    summary: 'One published article',
    description: 'With its rendered blocks; each block keeps its id across edits.',
    ok: [200, 'Article'],
    errors: [404],
  },
  'get /api/admin/articles': {
    module: 'articles',
    summary: 'List all articles (admin)',
    description: 'Drafts included, newest first, keyset-paged.',
    ok: [200, 'ArticlePage'],
    errors: [400, ...ADMIN],
    list: true,
  },
  'post /api/admin/articles': {
    module: 'articles',
    summary: 'Create an article (admin)',
    description: 'A taken slug is a 409.',
    ok: [201, 'Article'],
    errors: [...W, ...ADMIN, 409],
  },
  'get /api/admin/articles/{slug}': {
    module: 'articles',
    summary: 'One article in any status (admin)',
    description: 'Drafts included.',
    ok: [200, 'Article'],
    errors: [...ADMIN, 404],
  },
  'patch /api/admin/articles/{slug}': {
    module: 'articles',
    summary: 'Edit, publish, unpublish or close comments (admin)',
    description:
      'Re-renders the body, keeping the id of every unchanged block; inline comments are re-anchored by their quote.',
    ok: [200, 'Article'],
    errors: [...W, ...ADMIN, 404, 409],
  },
  'get /api/articles/{slug}/comments': {
    module: 'comments',
    summary: "An article's comment thread",
    description:
      'Top-level comments by sort (pinned first), each with its replies nested (up to 50; `moreReplies` says when there are more). `anchor` filters to one block id, or `inline` for every passage comment.',
    ok: [200, 'ThreadPage'],
    errors: [400, 404],
    list: true,
  },
  'post /api/articles/{slug}/comments': {
    module: 'comments',
    summary: 'Post a comment or a reply',
    description:
      'Markdown subset, sanitized. The answer carries an edit token valid 15 minutes. A held comment answers with status `pending`. Rate-limited per network and per address.',
    ok: [201, 'PostedComment'],
    errors: [...W, 404, 409, 422, 429],
  },
  'get /api/articles/{slug}/comments/count': {
    module: 'comments',
    summary: "An article's comment count",
    description: 'Visible comments, and inline comments per block.',
    ok: [200, 'CommentCount'],
    errors: [404],
  },
  'post /api/comments/counts': {
    module: 'comments',
    summary: 'Comment counts of many articles',
    description: 'An unknown or unpublished slug counts 0.',
    ok: [200, 'CommentCounts'],
    errors: W,
  },
  'get /api/comments/{id}/replies': {
    module: 'comments',
    summary: "A comment's replies",
    description: 'Every descendant, oldest first, nested within the page.',
    ok: [200, 'CommentPage'],
    errors: [400, 404],
    list: true,
  },
  'get /api/comments/{id}': {
    module: 'comments',
    summary: "The author's own comment",
    description:
      'With `X-Edit-Token`: the comment in any status but deleted (held, spam and trash all read `pending`).',
    ok: [200, 'CommentNode'],
    errors: [403, 404],
  },
  'patch /api/comments/{id}': {
    module: 'comments',
    summary: "Edit one's comment",
    description: 'With `X-Edit-Token`, within the edit window, while it has no replies.',
    ok: [200, 'CommentNode'],
    errors: [...W, 403, 404, 409, 429],
  },
  'delete /api/comments/{id}': {
    module: 'comments',
    summary: "Delete one's comment",
    description: 'With `X-Edit-Token`, within the edit window.',
    ok: [204, null],
    errors: [403, 404, 409, 429],
  },
  'put /api/comments/{id}/vote': {
    module: 'comments',
    summary: 'Vote on a comment',
    description: '`value` 1, -1, or 0 to take the vote back; one vote per `X-Voter-Id`.',
    ok: [200, 'Vote'],
    errors: [...W, 404, 429],
  },
  'post /api/comments/{id}/reports': {
    module: 'moderation',
    summary: 'Report a comment',
    description: 'One report per voter; enough reports since the last approval hold the comment.',
    ok: [202, null],
    errors: [...W, 404, 429],
  },
  'get /api/admin/emails': {
    module: 'mail',
    summary: 'The mail outbox (admin)',
    description: 'Newest first; filter by status.',
    ok: [200, 'EmailPage'],
    errors: [400, ...ADMIN],
    list: true,
  },
  'get /api/admin/emails/stats': {
    module: 'mail',
    summary: 'The outbox counted by status (admin)',
    description: '`ambiguous` mails may or may not have been delivered: an admin decides.',
    ok: [200, 'EmailStats'],
    errors: ADMIN,
  },
  'get /api/admin/newsletter/issues/{id}': {
    module: 'newsletter',
    summary: 'One newsletter issue and its mails by status (admin)',
    description: 'Shows where an issue stands: queued, sent, ambiguous…',
    ok: [200, 'NewsletterIssueDetail'],
    errors: [400, ...ADMIN, 404],
  },
  'post /api/admin/emails/{id}/retry': {
    module: 'mail',
    summary: 'Send a mail again (admin)',
    description: 'A dead or ambiguous mail is queued again (409 for any other status).',
    ok: [200, 'Email'],
    errors: [400, ...ADMIN, 404, 409],
  },
  'post /api/subscriptions/confirm': {
    module: 'subscriptions',
    summary: 'Confirm a subscription',
    description: 'With the token from the confirmation mail; idempotent.',
    ok: [200, 'Confirmed'],
    errors: [...W, 404, 410],
  },
  'post /api/unsubscribe': {
    module: 'subscriptions',
    summary: 'Unsubscribe',
    description: 'With the token from any subscription mail; idempotent.',
    ok: [200, 'Unsubscribed'],
    errors: [...W, 404],
  },
  'post /api/newsletter/subscriptions': {
    module: 'newsletter',
    summary: 'Sign up for the newsletter',
    description:
      'Double opt-in: the same 202 whatever the address state (nothing reveals whether it is subscribed).',
    ok: [202, 'Pending'],
    errors: [...W, 429],
  },
  'get /api/admin/subscribers': {
    module: 'newsletter',
    summary: 'Subscriptions with their consent records (admin)',
    description: 'Filter by kind and status.',
    ok: [200, 'SubscriptionPage'],
    errors: [400, ...ADMIN],
    list: true,
  },
  'post /api/admin/newsletter/issues': {
    module: 'newsletter',
    summary: 'Send a newsletter issue (admin)',
    description: 'To every confirmed subscriber; queued 1,000 per transaction.',
    ok: [202, 'NewsletterIssue'],
    errors: [...W, ...ADMIN, 404],
  },
  'get /api/admin/settings/moderation': {
    module: 'moderation',
    summary: 'Moderation settings (admin)',
    description: 'The settings in force.',
    ok: [200, 'ModerationSettings'],
    errors: ADMIN,
  },
  'put /api/admin/settings/moderation': {
    module: 'moderation',
    summary: 'Change moderation settings (admin)',
    description: 'Any subset; fields left out keep their value.',
    ok: [200, 'ModerationSettings'],
    errors: [...W, ...ADMIN],
  },
  'get /api/admin/comments': {
    module: 'moderation',
    summary: 'The moderation queue (admin or moderator)',
    description: 'By status (default pending) or `reported`; newest first.',
    ok: [200, 'AdminCommentPage'],
    errors: [400, ...ADMIN],
    list: true,
  },
  'post /api/admin/comments/bulk': {
    module: 'moderation',
    summary: 'Decide many comments (admin or moderator)',
    description: 'Unknown ids and comments already in that status are skipped.',
    ok: [200, 'Updated'],
    errors: [...W, ...ADMIN],
  },
  'get /api/admin/comments/{id}': {
    module: 'moderation',
    summary: 'One comment for moderation (admin or moderator)',
    description: 'With its source, address, reasons and reports.',
    ok: [200, 'AdminComment'],
    errors: [...ADMIN, 404],
  },
  'patch /api/admin/comments/{id}': {
    module: 'moderation',
    summary: 'Decide, pin or edit a comment (admin or moderator)',
    description: 'At least one of status, pinned or body.',
    ok: [200, 'AdminComment'],
    errors: [...W, ...ADMIN, 404, 409, 422],
  },
  'delete /api/admin/comments/{id}': {
    module: 'moderation',
    summary: 'Purge a comment (admin or moderator)',
    description: 'With replies it stays as an empty placeholder. The audit trail is kept.',
    ok: [204, null],
    errors: [...ADMIN, 404],
  },
  'get /api/admin/comments/{id}/events': {
    module: 'moderation',
    summary: "A comment's audit trail (admin or moderator)",
    description: 'Oldest first; answers after a purge too.',
    ok: [200, 'ModerationEventPage'],
    errors: [...ADMIN, 404],
  },
  'post /api/articles/{slug}/subscriptions': {
    module: 'subscriptions',
    summary: 'Follow an article ("Notify of")',
    description:
      'New follow-up comments or replies to my comments; double opt-in, the same 202 whatever the address state.',
    ok: [202, 'Pending'],
    errors: [...W, 404, 429],
  },
  'get /api/admin/people/{email}/export': {
    module: 'people',
    summary: 'Export everything held about an address (admin)',
    description: 'Comments, subscriptions with consent, mail, suppression.',
    ok: [200, 'PersonExport'],
    errors: [400, ...ADMIN],
  },
  'delete /api/admin/people/{email}': {
    module: 'people',
    summary: 'Erase an address (admin)',
    description:
      'Comments kept but anonymized, subscriptions and unsent mail deleted, the address suppressed.',
    ok: [204, null],
    errors: [400, ...ADMIN],
  },
  'post /api/data-requests': {
    module: 'people',
    summary: "Ask for one's own data, or its erasure",
    description:
      'Sends a single-use link (valid 24 hours) to the address; the page it opens acts only on a POST. The same 202 for every address, known or not. Rate-limited per network and per address.',
    ok: [202, 'Pending'],
    errors: [...W, 429],
  },
  'post /api/admin/imports': {
    module: 'import',
    summary: 'Import a WordPress (WXR) or Disqus export (admin)',
    description:
      'The export file is the raw body (at most IMPORT_MAX_MB), stored then imported in the background: 202 with the run, to follow at `Location`. Idempotent (a comment already imported is counted, not doubled) and resumable (send the same file again).',
    ok: [202, 'ImportRun'],
    consumes: Object.fromEntries(
      ['application/xml', 'text/xml', 'application/octet-stream'].map((type) => [
        type,
        { schema: { type: 'string', format: 'binary', description: 'the export file' } },
      ]),
    ),
    headers: {
      Location: {
        description: 'the run, e.g. /api/admin/imports/{id}',
        schema: { type: 'string' },
      },
    },
    errors: [400, ...ADMIN, 413, 415],
    errorText: {
      400: '`format` is not wxr or disqus, or `createArticles` not true or false',
      413: 'The file is larger than IMPORT_MAX_MB',
      415: 'The body is not application/xml, text/xml or application/octet-stream',
    },
  },
  'get /api/admin/imports': {
    module: 'import',
    summary: 'Import runs (admin)',
    description: 'The newest 50 runs, newest first, each with its progress and report.',
    ok: [200, 'ImportRunPage'],
    errors: ADMIN,
  },
  'get /api/admin/imports/{id}': {
    module: 'import',
    summary: 'One import run (admin)',
    description:
      'Its status (`running`, `done`, `failed`), progress in bytes and percent, and report.',
    ok: [200, 'ImportRun'],
    errors: [...ADMIN, 404],
  },
  'get /api/admin/export': {
    module: 'export',
    summary: 'Export every article with its comments (admin)',
    description:
      'Streamed as a download, never held in memory. `wxr`: a WXR 1.2 file WordPress imports, which also imports back into Marginalia unchanged. `jsonl`: one JSON object a line, each article followed by its comments. A failure after the first byte cuts the download short (never a complete-looking file).',
    ok: [200, null],
    produces: {
      'application/rss+xml': {
        schema: { type: 'string', description: 'WXR 1.2 (RSS 2.0 with WordPress elements)' },
      },
      'application/x-ndjson': {
        schema: { type: 'string', description: 'JSON lines, each an `ExportLine`' },
        'x-line-schema': ref('ExportLine'),
      },
    },
    headers: {
      'Content-Disposition': {
        description: 'attachment; filename="marginalia-YYYY-MM-DD.wxr.xml" (or .jsonl)',
        schema: { type: 'string' },
      },
    },
    errors: [400, ...ADMIN],
  },
  'post /api/admin/webhooks': {
    module: 'webhooks',
    summary: 'Register a webhook endpoint (admin)',
    description:
      'Events are POSTed to `url`, signed with the secret this answer shows once. A URL that is not http(s), or whose host resolves to a private, loopback or link-local address outside WEBHOOK_ALLOWED_NETWORKS, is a 422.',
    ok: [201, 'WebhookCreated'],
    errors: [...W, ...ADMIN, 422],
  },
  'get /api/admin/webhooks': {
    module: 'webhooks',
    summary: 'Webhook endpoints (admin)',
    description: 'Every endpoint, with its status and failures (never its secret).',
    ok: [200, 'WebhookPage'],
    errors: ADMIN,
  },
  'get /api/admin/webhooks/{id}': {
    module: 'webhooks',
    summary: 'One webhook endpoint (admin)',
    description: 'An id that is not a UUID is a 400.',
    ok: [200, 'Webhook'],
    errors: [400, ...ADMIN, 404],
  },
  'patch /api/admin/webhooks/{id}': {
    module: 'webhooks',
    summary: 'Change a webhook endpoint (admin)',
    description:
      'Any of url, events, description; `status: "active"` re-enables a disabled endpoint (what waited is delivered then), `"disabled"` pauses it.',
    ok: [200, 'Webhook'],
    errors: [...W, ...ADMIN, 404, 422],
  },
  'delete /api/admin/webhooks/{id}': {
    module: 'webhooks',
    summary: 'Remove a webhook endpoint (admin)',
    description: 'With its deliveries.',
    ok: [204, null],
    errors: [400, ...ADMIN, 404],
  },
  'get /api/admin/webhooks/{id}/deliveries': {
    module: 'webhooks',
    summary: "A webhook endpoint's deliveries (admin)",
    description: 'The newest 100, with their attempts, last status code and last error.',
    ok: [200, 'WebhookDeliveryPage'],
    errors: [400, ...ADMIN, 404],
  },
};

const LIST_PARAMETERS = [
  {
    name: 'limit',
    in: 'query',
    required: false,
    description: 'items per page',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  },
  {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'opaque; the previous page’s `nextCursor`',
    schema: { type: 'string', maxLength: 512 },
  },
];

function json(schema: string): Record<string, unknown> {
  return { 'application/json': { schema: ref(schema) } };
}

/**
 * Completes the generated document: summary, description, module tag, list parameters, and a
 * response with its schema for every status an operation answers, errors included.
 */
export function describeOperations(document: OpenAPIObject): OpenAPIObject {
  document.components = document.components ?? {};
  document.components.schemas = { ...document.components.schemas, ...SCHEMAS };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as [string, Record<string, unknown>][]) {
      const key = `${method} ${path}`;
      const doc = OPERATIONS[key];
      if (!doc) {
        // Left as generated: test/openapi.e2e-spec.ts fails on an operation without a summary,
        // and the app still starts.
        continue;
      }
      operation.summary = doc.summary;
      operation.description = doc.description;
      operation.tags = [doc.module];
      const parameters = (operation.parameters as { name: string }[] | undefined) ?? [];
      if (doc.list) {
        for (const p of LIST_PARAMETERS) {
          if (!parameters.some((q) => q.name === p.name)) {
            parameters.push(p);
          }
        }
      }
      operation.parameters = parameters;
      if (doc.consumes) {
        operation.requestBody = { required: true, content: doc.consumes };
      }
      const [status, schema] = doc.ok;
      const content = { ...(schema ? json(schema) : {}), ...doc.produces };
      const responses: Record<string, unknown> = {
        [status]: {
          description: 'Success',
          ...(doc.headers ? { headers: doc.headers } : {}),
          ...(Object.keys(content).length ? { content } : {}),
        },
      };
      // Statuses a controller documents with a decorator are kept, with the error schema.
      const declared = Object.keys((operation.responses as Json | undefined) ?? {})
        .map(Number)
        .filter((code) => code >= 400);
      for (const code of new Set([...(doc.errors ?? []), ...declared, 503])) {
        const own = (operation.responses as Record<string, Json> | undefined)?.[code];
        responses[code] = {
          description:
            (own?.description as string | undefined) ??
            doc.errorText?.[code] ??
            ERROR_TEXT[code] ??
            'Error',
          content: json(code === 400 ? 'BadRequest' : 'Error'),
        };
      }
      if (path.startsWith('/api/admin')) {
        operation.security = [{ bearer: [] }];
      }
      operation.responses = responses;
    }
  }
  // Nest's default names a JWT; these tokens are opaque random strings.
  const schemes = document.components.securitySchemes as unknown as Record<string, Json>;
  delete schemes?.bearer?.bearerFormat;
  return document;
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const base = new DocumentBuilder()
    .setTitle('Marginalia')
    .setDescription(
      'Articles, threaded comments, notifications and the newsletter. Errors answer `{statusCode, error, message}`; a validation 400 adds `errors: [{field, code, message}]`.',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description:
        'An opaque admin token (from the CLI, ADMIN_TOKEN, or printed at the first start); not a JWT.',
    });
  for (const [name, description] of Object.entries(MODULES)) {
    base.addTag(name, description);
  }
  return describeOperations(SwaggerModule.createDocument(app, base.build()));
}

const MODULES: Record<string, string> = {
  health: 'Readiness for load balancers',
  articles: 'Published articles, and their editing (admin)',
  comments: 'Threads, posting, editing, votes and counts',
  moderation: 'Reports, the moderation queue, decisions and settings',
  subscriptions: '"Notify of", confirmation and unsubscribing',
  newsletter: 'Sign-ups, subscribers and issues',
  mail: 'The outbox',
  people: "Data rights: export and erasure, by an admin or at the reader's own request",
  import: 'WordPress (WXR) and Disqus imports',
  export: 'Everything, as WXR or JSON lines',
  webhooks: 'Signed webhook endpoints and their deliveries',
};
