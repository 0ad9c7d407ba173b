import { Injectable } from '@nestjs/common';
import { CommentEntity } from './comment.entity';

/**
 * What another feature does when a comment arrives, told to the posting path ahead of time so a
 * post costs two statements when nobody has work to do (src/comments/post-comment.service.ts).
 *
 * - `record` is a data-modifying statement run inside the posting statement itself, over the CTE
 *   `arrived` (the inserted comment row: id, article_id, status, reasons): work every arrival
 *   needs, such as a history entry.
 * - `probe` is a boolean SQL expression read in the posting's first statement, over the CTE
 *   `article` (its `id`): whether there is anyone to act for, such as subscribers to notify.
 * - `wants` decides, from the comment as it will be stored and what the probe read, whether the
 *   feature's CommentStatusChangedInTx listener has work. When any feature wants, the comment is
 *   written in a transaction that also runs the listeners; otherwise the listeners are skipped.
 *
 * A probe is read before the write: something that starts to exist between the two (a subscriber
 * confirming that very moment) is treated as having come just after the comment.
 */
export interface ArrivalInterest {
  name: string;
  record?: string;
  probe?: string;
  wants?(comment: Readonly<CommentEntity>, probed: boolean): boolean;
}

@Injectable()
export class CommentArrivals {
  private readonly interests: ArrivalInterest[] = [];
  private probeList: readonly string[] = [];
  private recordList: readonly string[] = [];

  register(interest: ArrivalInterest): void {
    this.interests.push(interest);
    this.probeList = this.interests.map((i) => i.probe ?? 'false');
    this.recordList = this.interests.flatMap((i) => (i.record ? [i.record] : []));
  }

  /**
   * The probes' expressions, in registration order: the same array until an interest registers,
   * so the statement built from it is built once (StatementTexts).
   */
  get probes(): readonly string[] {
    return this.probeList;
  }

  /** The record statements, each to run as a CTE of the posting statement; like `probes`. */
  get records(): readonly string[] {
    return this.recordList;
  }

  /** Whether any feature has work for this comment, given `probed` (in the order of `probes`). */
  wanted(comment: Readonly<CommentEntity>, probed: boolean[]): boolean {
    return this.interests.some((interest, i) => interest.wants?.(comment, probed[i] === true));
  }
}
