import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiHeader,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { ListQuery, Page } from '../common/list.dto';
import { PRIMARY_READS, ReadContext, Reads } from '../database/read-context';
import { PublicCache } from '../http/public-cache';
import { THREAD_PAGE_TYPE } from './thread-cache-hits';
import { writerOf } from './comment-rate-limits';
import { CommentAuthoringService } from './comment-authoring.service';
import { CommentThreadService } from './comment-thread.service';
import { CommentVotesService } from './comment-votes.service';
import { PostCommentService } from './post-comment.service';
import {
  CommentCountResponse,
  CommentNode,
  CountsDto,
  EditCommentDto,
  PostCommentDto,
  PostedComment,
  ThreadQuery,
  VoteDto,
  VoteResponse,
} from './dto/comment.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A malformed id names no comment: 404, like an unknown one. */
function commentId(id: string): string {
  if (!UUID.test(id)) {
    throw new NotFoundException('comment not found');
  }
  return id.toLowerCase();
}

@ApiTags('comments')
@Controller('api/articles/:slug/comments')
export class ArticleCommentsController {
  constructor(
    private readonly threads: CommentThreadService,
    private readonly posting: PostCommentService,
  ) {}

  /**
   * The page as JSON (a ThreadPage), served from the thread cache when it holds it, with the ETag
   * computed when it was loaded. Most hits are answered before this (installThreadCacheHits).
   */
  @Get()
  @Header('Content-Type', THREAD_PAGE_TYPE)
  @PublicCache()
  async list(
    @Param('slug') slug: string,
    @Query() query: ThreadQuery,
    @Reads() reads: ReadContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const page = await this.threads.listForSlugJson(reads, slug, query);
    void reply.header('ETag', page.etag);
    return page.body;
  }

  @Get('count')
  count(@Param('slug') slug: string, @Reads() reads: ReadContext): Promise<CommentCountResponse> {
    return this.threads.countForSlug(reads, slug);
  }

  @Post()
  post(
    @Param('slug') slug: string,
    @Body() body: PostCommentDto,
    @Req() req: FastifyRequest,
  ): Promise<PostedComment> {
    return this.posting.post(slug, body, writerOf(req));
  }
}

@ApiTags('comments')
@Controller('api/comments')
export class CommentsController {
  constructor(
    private readonly threads: CommentThreadService,
    private readonly authoring: CommentAuthoringService,
    private readonly votes: CommentVotesService,
  ) {}

  @Post('counts')
  @HttpCode(200)
  counts(@Body() body: CountsDto): Promise<Record<string, number>> {
    // A POST (the slugs come in its body): like every POST, read from the primary.
    return this.threads.countForSlugs(PRIMARY_READS, body.slugs);
  }

  @Get(':id/replies')
  replies(
    @Param('id') id: string,
    @Query() query: ListQuery,
    @Reads() reads: ReadContext,
  ): Promise<Page<CommentNode>> {
    return this.threads.listReplies(reads, commentId(id), query.limit, query.cursor);
  }

  @Get(':id')
  @ApiHeader({ name: 'X-Edit-Token', required: true })
  own(
    @Param('id') id: string,
    @Headers('x-edit-token') token: string | undefined,
  ): Promise<CommentNode> {
    return this.authoring.ownComment(commentId(id), token);
  }

  @Patch(':id')
  @ApiHeader({ name: 'X-Edit-Token', required: true })
  @ApiForbiddenResponse({ description: 'wrong edit token' })
  @ApiTooManyRequestsResponse({
    description: "too many wrong tokens from the caller's network, or 20 edits a minute",
  })
  async edit(
    @Param('id') id: string,
    @Headers('x-edit-token') token: string | undefined,
    @Body() body: EditCommentDto,
    @Req() req: FastifyRequest,
  ): Promise<CommentNode> {
    const edited = await this.authoring.edit(commentId(id), token, body.body, writerOf(req));
    req.changedArticleId = edited.articleId;
    return edited.comment;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiHeader({ name: 'X-Edit-Token', required: true })
  async remove(
    @Param('id') id: string,
    @Headers('x-edit-token') token: string | undefined,
    @Req() req: FastifyRequest,
  ): Promise<void> {
    req.changedArticleId = await this.authoring.remove(commentId(id), token, writerOf(req));
  }

  @Put(':id/vote')
  @HttpCode(200)
  @ApiHeader({ name: 'X-Voter-Id', required: true, description: 'opaque, 16–128 characters' })
  @ApiTooManyRequestsResponse({
    description: 'this network moved the score by VOTES_PER_NETWORK_PER_HOUR within the hour',
  })
  async vote(
    @Param('id') id: string,
    @Headers('x-voter-id') voterId: string | undefined,
    @Body() body: VoteDto,
    @Req() req: FastifyRequest,
  ): Promise<VoteResponse> {
    const voted = await this.votes.vote(commentId(id), voterId, body.value, writerOf(req));
    // Only this article's cached thread pages show the new score (as for edits and removals).
    req.changedArticleId = voted.articleId;
    return voted.response;
  }
}
