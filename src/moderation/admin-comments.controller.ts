import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminRequest, AllowRoles } from '../auth/admin-auth.guard';
import { Page } from '../common/list.dto';
import { AuditEvent } from './audit-log';
import { commentId } from './comment-id';
import { CommentDecisionsService } from './comment-decisions.service';
import { CommentPurgeService } from './comment-purge.service';
import { CommentQueueService } from './comment-queue.service';
import {
  AdminComment,
  BulkDecisionDto,
  DecideCommentDto,
  QueueQuery,
} from './dto/admin-comment.dto';

/** Comment moderation: the one part of the admin API that moderator tokens may use. */
@ApiTags('admin')
@ApiBearerAuth()
@AllowRoles('admin', 'moderator')
@Controller('api/admin/comments')
export class AdminCommentsController {
  constructor(
    private readonly queue: CommentQueueService,
    private readonly decisions: CommentDecisionsService,
    private readonly purging: CommentPurgeService,
  ) {}

  @Get()
  list(@Query() query: QueueQuery): Promise<Page<AdminComment>> {
    return this.queue.list(query);
  }

  @Post('bulk')
  @HttpCode(200)
  bulk(@Body() body: BulkDecisionDto, @Req() req: AdminRequest): Promise<{ updated: number }> {
    return this.decisions.bulk(body.ids, body.status, req.admin!.name);
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<AdminComment> {
    return this.queue.get(commentId(id));
  }

  @Patch(':id')
  decide(
    @Param('id') id: string,
    @Body() body: DecideCommentDto,
    @Req() req: AdminRequest,
  ): Promise<AdminComment> {
    return this.decisions.decide(commentId(id), body, req.admin!.name);
  }

  @Delete(':id')
  @HttpCode(204)
  async purge(@Param('id') id: string, @Req() req: AdminRequest): Promise<void> {
    await this.purging.purge(commentId(id), req.admin!.name);
  }

  @Get(':id/events')
  events(@Param('id') id: string): Promise<Page<AuditEvent>> {
    return this.queue.events(commentId(id));
  }
}
