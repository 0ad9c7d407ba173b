import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ReadContext, Reads } from '../database/read-context';
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
  async site(
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
    @Reads() reads: ReadContext,
  ): Promise<void> {
    this.send(req, res, await this.feeds.siteFeed(reads));
  }

  @Get('articles/:slug/comments.atom')
  async article(
    @Param('slug') slug: string,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
    @Reads() reads: ReadContext,
  ): Promise<void> {
    this.send(req, res, await this.feeds.articleFeed(reads, slug.toLowerCase()));
  }

  private send(req: FastifyRequest, res: FastifyReply, feed: RenderedFeed): void {
    res.header('ETag', feed.etag);
    res.header('Cache-Control', 'public, max-age=60');
    res.header('Vary', 'Accept-Encoding');
    if (matchesEtag(req.headers['if-none-match'], feed.etag)) {
      void res.status(304).send();
      return;
    }
    void res.status(200).type(ATOM).send(feed.body);
  }
}
