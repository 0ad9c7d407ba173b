import { MARGINALIA_META, MarginaliaCommentMeta, MarginaliaPostMeta } from '../import/importer';
import { ExportArticle, ExportComment } from './export.repository';
import { cdata, wpDate, xmlText } from './xml-text';

const WP_STATUS: Record<string, string> = {
  approved: '1',
  pending: '0',
  spam: 'spam',
  trash: 'trash',
  // A placeholder kept for its replies: WordPress has no such state; trash hides it the same way.
  deleted: 'trash',
};

/** The wrapper of a WXR 1.2 file as WordPress writes it. */
export function wxrHead(site: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
	<title>Marginalia</title>
	<link>${xmlText(site)}</link>
	<description></description>
	<pubDate>${new Date().toUTCString()}</pubDate>
	<language>en</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>${xmlText(site)}</wp:base_site_url>
	<wp:base_blog_url>${xmlText(site)}</wp:base_blog_url>
	<generator>Marginalia</generator>
`;
}

export const WXR_TAIL = '</channel>\n</rss>\n';

function meta(tag: 'postmeta' | 'commentmeta', key: string, value: string): string {
  return `<wp:${tag}><wp:meta_key>${cdata(key)}</wp:meta_key><wp:meta_value>${cdata(value)}</wp:meta_value></wp:${tag}>`;
}

/** The start of one `<item>`: the post. Its comments follow, then `wxrItemEnd`. */
export function wxrItemStart(site: string, postId: number, a: ExportArticle): string {
  const date = a.published_at ?? a.created_at;
  return `	<item>
		<title>${cdata(a.title)}</title>
		<link>${xmlText(`${site}/articles/${a.slug}`)}</link>
		<pubDate>${date.toUTCString()}</pubDate>
		<dc:creator>${cdata(a.author ?? '')}</dc:creator>
		<guid isPermaLink="false">${xmlText(`${site}/articles/${a.id}`)}</guid>
		<description></description>
		<content:encoded>${cdata(a.blocks.map((b) => b.html).join('\n'))}</content:encoded>
		<excerpt:encoded>${cdata(a.summary)}</excerpt:encoded>
		<wp:post_id>${postId}</wp:post_id>
		<wp:post_date>${cdata(wpDate(date))}</wp:post_date>
		<wp:post_date_gmt>${cdata(a.published_at ? wpDate(a.published_at) : '0000-00-00 00:00:00')}</wp:post_date_gmt>
		<wp:comment_status>${cdata(a.comments_open ? 'open' : 'closed')}</wp:comment_status>
		<wp:ping_status>${cdata('closed')}</wp:ping_status>
		<wp:post_name>${cdata(a.slug)}</wp:post_name>
		<wp:status>${cdata(a.status === 'published' ? 'publish' : 'draft')}</wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>0</wp:menu_order>
		<wp:post_type>${cdata('post')}</wp:post_type>
		<wp:post_password>${cdata('')}</wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>
		${meta('postmeta', MARGINALIA_META, JSON.stringify(postMeta(a)))}
`;
}

function postMeta(a: ExportArticle): MarginaliaPostMeta {
  return {
    id: a.id,
    bodySource: a.body_source,
    blocks: a.blocks,
    publishedAt: a.published_at?.toISOString() ?? null,
  };
}

function commentMeta(c: ExportComment): MarginaliaCommentMeta {
  return {
    id: c.id,
    bodySource: c.body_source,
    createdAt: c.created_at.toISOString(),
    anchor:
      c.anchor_block_id && c.anchor_state
        ? { blockId: c.anchor_block_id, quote: c.anchor_quote, state: c.anchor_state }
        : null,
  };
}

export const WXR_ITEM_END = '	</item>\n';

export function wxrComment(commentId: number, parentId: number, c: ExportComment): string {
  return `		<wp:comment>
			<wp:comment_id>${commentId}</wp:comment_id>
			<wp:comment_author>${cdata(c.author_name)}</wp:comment_author>
			<wp:comment_author_email>${cdata(c.author_email.endsWith('@invalid.invalid') ? '' : c.author_email)}</wp:comment_author_email>
			<wp:comment_author_url></wp:comment_author_url>
			<wp:comment_author_IP>${cdata('')}</wp:comment_author_IP>
			<wp:comment_date>${cdata(wpDate(c.created_at))}</wp:comment_date>
			<wp:comment_date_gmt>${cdata(wpDate(c.created_at))}</wp:comment_date_gmt>
			<wp:comment_content>${cdata(c.body_html)}</wp:comment_content>
			<wp:comment_approved>${cdata(WP_STATUS[c.status] ?? '0')}</wp:comment_approved>
			<wp:comment_type>${cdata('comment')}</wp:comment_type>
			<wp:comment_parent>${parentId}</wp:comment_parent>
			<wp:comment_user_id>0</wp:comment_user_id>
			${meta('commentmeta', MARGINALIA_META, JSON.stringify(commentMeta(c)))}
		</wp:comment>
`;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function jsonlArticle(site: string, a: ExportArticle): string {
  return `${JSON.stringify({
    type: 'article',
    id: a.id,
    slug: a.slug,
    url: `${site}/articles/${a.slug}`,
    title: a.title,
    author: a.author,
    status: a.status,
    publishedAt: iso(a.published_at),
    bodySource: a.body_source,
  })}\n`;
}

export function jsonlComment(a: ExportArticle, c: ExportComment): string {
  return `${JSON.stringify({
    type: 'comment',
    id: c.id,
    articleId: a.id,
    articleSlug: a.slug,
    parentId: c.parent_id,
    rootId: c.root_id,
    depth: c.depth,
    status: c.status,
    authorName: c.author_name,
    authorEmail: c.author_email,
    bodySource: c.body_source,
    bodyHtml: c.body_html,
    originalHtml: c.original_html,
    anchor: c.anchor_block_id ? { blockId: c.anchor_block_id, quote: c.anchor_quote } : null,
    pinned: c.pinned,
    votes: { up: c.up_count, down: c.down_count },
    createdAt: iso(c.created_at),
    editedAt: iso(c.edited_at),
    approvedAt: iso(c.approved_at),
  })}\n`;
}
