import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ReadContext, Reads } from '../database/read-context';
import { FeedsService, RenderedFeed } from './feeds.service';

const ATOM = 'application/atom+xml; charset=utf-8';

@ApiExcludeController()
@Controller()
export class FeedsController {
  constructor(private readonly feeds: FeedsService) {}

  @Get('feed/comments.atom')
  async site(@Res() res: FastifyReply, @Reads() reads: ReadContext): Promise<void> {
    this.send(res, await this.feeds.siteFeed(reads));
  }

  @Get('articles/:slug/comments.atom')
  async article(
    @Param('slug') slug: string,
    @Res() res: FastifyReply,
    @Reads() reads: ReadContext,
  ): Promise<void> {
    this.send(res, await this.feeds.articleFeed(reads, slug.toLowerCase()));
  }

  /** The feed with the ETag it was rendered with; a client holding it gets a 304 (etag.ts). */
  private send(res: FastifyReply, feed: RenderedFeed): void {
    res.header('ETag', feed.etag);
    res.header('Cache-Control', 'public, max-age=60');
    res.header('Vary', 'Accept-Encoding');
    void res.status(200).type(ATOM).send(feed.body);
  }
}
