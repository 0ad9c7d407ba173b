import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ListQuery } from '../../common/list.dto';
import { EmailOutboxEntity, EmailStatus, MailStream } from '../email-outbox.entity';

export const EMAIL_STATUSES: EmailStatus[] = [
  'queued',
  'claimed',
  'sending',
  'sent',
  'failed',
  'dead',
  'ambiguous',
  'skipped',
];

export class EmailListQuery extends ListQuery {
  @ApiPropertyOptional({ enum: EMAIL_STATUSES })
  @IsOptional()
  @IsIn(EMAIL_STATUSES)
  status?: EmailStatus;
}

/** Outbox rows by status; `ambiguous` ones may or may not have been delivered: an admin decides. */
export type EmailCounts = Record<EmailStatus, number>;

export interface EmailStatsResponse {
  total: number;
  byStatus: EmailCounts;
}

/** Every status, zero where there is none, from (status, n) rows. */
export function toEmailCounts(rows: { status: string; n: number }[]): EmailCounts {
  const counts = Object.fromEntries(EMAIL_STATUSES.map((s) => [s, 0])) as EmailCounts;
  for (const row of rows) {
    if (row.status in counts) {
      counts[row.status as EmailStatus] = Number(row.n);
    }
  }
  return counts;
}

export interface EmailResponse {
  id: string;
  to: string;
  template: string;
  stream: MailStream;
  status: EmailStatus;
  attempts: number;
  createdAt: string;
  sentAt: string | null;
  lastError: string | null;
  messageId: string | null;
  nextAttemptAt: string | null;
}

export function toEmailResponse(row: EmailOutboxEntity): EmailResponse {
  const waiting = row.status === 'queued' || row.status === 'failed';
  return {
    id: row.id,
    to: row.recipient,
    template: row.template,
    stream: row.stream,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt ? row.sentAt.toISOString() : null,
    lastError: row.lastError,
    messageId: row.messageId,
    nextAttemptAt: waiting ? row.nextAttemptAt.toISOString() : null,
  };
}
