import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { FeedsService, RenderedFeed } from './feeds.service';

const ATOM = 'application/atom+xml; charset=utf-8';

/** Whether `If-None-Match` names this ETag (a list, weak forms, or `*`). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) {
    return false;
  }
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

@ApiExcludeController()
@Controller()
export class FeedsController {
  constructor(private readonly feeds: FeedsService) {}

  @Get('feed/comments.atom')
  async site(@Req() req: Request, @Res() res: Response): Promise<void> {
    this.send(req, res, await this.feeds.siteFeed());
  }

  @Get('articles/:slug/comments.atom')
  async article(
    @Param('slug') slug: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    this.send(req, res, await this.feeds.articleFeed(slug.toLowerCase()));
  }

  private send(req: Request, res: Response, feed: RenderedFeed): void {
    res.setHeader('ETag', feed.etag);
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.setHeader('Vary', 'Accept-Encoding');
    if (matchesEtag(req.headers['if-none-match'], feed.etag)) {
      res.status(304).end();
      return;
    }
    res.status(200).type(ATOM).send(feed.body);
  }
}
