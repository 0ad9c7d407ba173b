import { xmlText } from '../export/xml-text';

export interface AtomEntry {
  id: string;
  title: string;
  link: string;
  authorName: string;
  /** Sanitized comment HTML; carried escaped, as `type="html"` content is. */
  html: string;
  published: Date;
  updated: Date;
}

export interface AtomFeed {
  id: string;
  title: string;
  selfUrl: string;
  alternateUrl: string;
  updated: Date;
  entries: AtomEntry[];
}

/** An Atom 1.0 document (RFC 4287). Every text is escaped; the HTML content twice over, as text. */
export function renderAtom(feed: AtomFeed): string {
  const entries = feed.entries
    .map(
      (e) => `  <entry>
    <id>${xmlText(e.id)}</id>
    <title type="text">${xmlText(e.title)}</title>
    <link rel="alternate" type="text/html" href="${xmlText(e.link)}"/>
    <author><name>${xmlText(e.authorName)}</name></author>
    <published>${e.published.toISOString()}</published>
    <updated>${e.updated.toISOString()}</updated>
    <content type="html">${xmlText(e.html)}</content>
  </entry>
`,
    )
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${xmlText(feed.id)}</id>
  <title type="text">${xmlText(feed.title)}</title>
  <link rel="self" type="application/atom+xml" href="${xmlText(feed.selfUrl)}"/>
  <link rel="alternate" type="text/html" href="${xmlText(feed.alternateUrl)}"/>
  <updated>${feed.updated.toISOString()}</updated>
  <generator>Marginalia</generator>
${entries}</feed>
`;
}
