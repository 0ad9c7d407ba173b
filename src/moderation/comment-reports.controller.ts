import {
  BadRequestException,
  Body,
  Controller,
  Headers,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeEndpoint, ApiHeader, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { writerOf } from '../comments/comment-rate-limits';
import { commentId } from './comment-id';
import { CommentReportsService } from './comment-reports.service';
import { ReportDto } from './dto/admin-comment.dto';
import { hasVisibleCharacter, unstorableReason } from '../common/text-rules';
import { ModerationRepository } from './moderation.repository';

@ApiTags('comments')
@Controller()
export class CommentReportsController {
  constructor(
    private readonly reports: CommentReportsService,
    private readonly moderation: ModerationRepository,
  ) {}

  @Post('api/comments/:id/reports')
  @HttpCode(202)
  @ApiHeader({ name: 'X-Voter-Id', required: true, description: 'opaque, 16–128 characters' })
  async report(
    @Param('id') id: string,
    @Headers('x-voter-id') voterId: string | undefined,
    @Body() body: ReportDto,
    @Req() req: FastifyRequest,
  ): Promise<void> {
    req.changedArticleId = await this.reports.reportAsVoter(
      commentId(id),
      voterId,
      body.reason,
      writerOf(req),
    );
  }

  /** The reader page's report form without JavaScript: 303 back to the comment. */
  @Post('comments/:id/report')
  @ApiExcludeEndpoint()
  async reportFromPage(
    @Param('id') id: string,
    @Body() form: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const raw = form?.reason;
    const reason =
      typeof raw === 'string' && hasVisibleCharacter(raw) ? raw.trim() : 'reported by a reader';
    // The same rules as the API's ReportDto (and comment bodies).
    const unstorable = unstorableReason(reason);
    if (unstorable) {
      throw new BadRequestException(`reason ${unstorable}`);
    }
    if ([...reason].length > 500) {
      throw new BadRequestException('reason must be at most 500 characters');
    }
    const comment = commentId(id);
    req.changedArticleId = await this.reports.reportFromPage(comment, reason, writerOf(req));
    const slug = await this.moderation.findArticleSlugOf(comment);
    void res.redirect(`/articles/${slug}?reported=${comment}#comment-${comment}`, 303);
  }
}
