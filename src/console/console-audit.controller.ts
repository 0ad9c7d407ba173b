import { BadRequestException, Controller, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AuditSearch } from '../moderation/audit-search';
import {
  ConsoleGuard,
  ConsoleRequest,
  ConsoleRoles,
  ConsoleSignInFilter,
} from './console-auth.guard';
import { Page } from './console-forms';
import { ConsoleView } from './console-view';

const AUDIT_PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function one(value: unknown, pattern: RegExp, name: string): string | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new BadRequestException(`${name} is not valid`);
  }
  return value;
}

/** The site-wide audit log: who decided what, on which comment, when. Moderators may read it. */
@ApiExcludeController()
@UseFilters(ConsoleSignInFilter)
@UseGuards(ConsoleGuard)
@ConsoleRoles('admin', 'moderator')
@Controller('admin/audit')
export class ConsoleAuditController {
  constructor(
    private readonly audit: AuditSearch,
    private readonly view: ConsoleView,
  ) {}

  @Page()
  async page(@Req() req: ConsoleRequest): Promise<string> {
    const q = req.query;
    const filter = {
      actor: one(q.actor, /^[\p{L}\p{N} _.:@-]{1,200}$/u, 'actor'),
      action: one(q.action, /^[a-z.\-_]{1,60}$/, 'action'),
      commentId: one(q.comment, UUID, 'comment')?.toLowerCase(),
      before: one(q.before, /^\d{1,19}$/, 'before'),
    };
    const [page, choices] = await Promise.all([
      this.audit.page({ ...filter, limit: AUDIT_PAGE_SIZE }),
      this.audit.choices(),
    ]);
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries({
      actor: filter.actor,
      action: filter.action,
      comment: filter.commentId,
    })) {
      if (value) {
        params.set(key, value);
      }
    }
    if (page.nextBefore) {
      params.set('before', page.nextBefore);
    }
    return this.view.render('audit', req.console!, 'audit', {
      title: 'Audit log',
      filter,
      actors: choices.actors.map((a) => ({ value: a, selected: a === filter.actor })),
      actions: choices.actions.map((a) => ({ value: a, selected: a === filter.action })),
      items: page.items,
      nextUrl: page.nextBefore ? `/admin/audit?${params.toString()}` : null,
    });
  }
}
