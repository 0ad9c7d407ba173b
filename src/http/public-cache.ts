import { Header } from '@nestjs/common';

/** How long a shared cache (a CDN) may serve a public read without asking again. */
export const PUBLIC_CACHE_SECONDS = 5;
/** How long past that it may keep serving it while it fetches a fresh copy in the background. */
export const PUBLIC_STALE_SECONDS = 30;

/**
 * Public reads a CDN may hold briefly: browsers revalidate every time (max-age=0, with the
 * ETag Express sets, so an unchanged page is a bodiless 304), shared caches keep the answer for
 * PUBLIC_CACHE_SECONDS and may serve it stale for PUBLIC_STALE_SECONDS while they revalidate.
 * A write changes the page's JSON and so its ETag: the next revalidation gets the new page.
 */
export const PublicCache = () =>
  Header(
    'Cache-Control',
    `public, max-age=0, s-maxage=${PUBLIC_CACHE_SECONDS}, stale-while-revalidate=${PUBLIC_STALE_SECONDS}`,
  );
