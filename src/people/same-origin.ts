import { ForbiddenException } from '@nestjs/common';
import { Request } from 'express';

/**
 * Page forms that change state refuse cross-site posts: a browser says where a form came from
 * (Sec-Fetch-Site, or Origin); clients that send neither (curl, mail scanners) are not browsers
 * riding a reader's session, and there is no session to ride here anyway.
 */
export function refuseCrossSite(req: Request, publicUrl: string): void {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') {
    throw new ForbiddenException('this form only accepts posts from this site');
  }
  const origin = req.get('origin');
  if (origin && origin !== 'null' && origin !== new URL(publicUrl).origin) {
    const host = req.get('host');
    if (!host || new URL(origin).host !== host) {
      throw new ForbiddenException('this form only accepts posts from this site');
    }
  }
}
