import { applyDecorators, Header } from '@nestjs/common';

/** How long a shared cache (a CDN) may serve a public read without asking again. */
export const PUBLIC_CACHE_SECONDS = 5;
/** How long past that it may keep serving it while it fetches a fresh copy in the background. */
export const PUBLIC_STALE_SECONDS = 30;

/**
 * The headers PublicCache sets; a thread cache hit, answered before its controller, sends them too.
 */
export const PUBLIC_CACHE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': `public, max-age=0, s-maxage=${PUBLIC_CACHE_SECONDS}`,
  'CDN-Cache-Control': `public, max-age=${PUBLIC_CACHE_SECONDS}, stale-while-revalidate=${PUBLIC_STALE_SECONDS}`,
});

/**
 * Public reads a CDN may hold briefly. Browsers revalidate every time (max-age=0, with the ETag
 * every GET answer carries, see etag.ts, so an unchanged page is a bodiless 304); shared caches
 * keep the answer for PUBLIC_CACHE_SECONDS (s-maxage). Serving stale while revalidating is offered to CDNs only,
 * through the targeted `CDN-Cache-Control` (RFC 9213): Chromium honours `stale-while-revalidate`
 * in `Cache-Control` too, and would then show a reader a thread older than their own comment.
 * A write changes the page's JSON and so its ETag: the next revalidation gets the new page.
 */
export const PublicCache = () =>
  applyDecorators(
    ...Object.entries(PUBLIC_CACHE_HEADERS).map(([name, value]) => Header(name, value)),
  );
