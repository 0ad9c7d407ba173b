import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  ValidateNested,
} from 'class-validator';
import { ListQuery } from '../../common/list.dto';
import {
  Length,
  NoInvisibleCharacters,
  SingleLine,
  StorableText,
  Visible,
} from '../../common/validation';
import { AnchorState, CommentEntity, CommentStatus, NotifyChoice, Quote } from '../comment.entity';

export const SORTS = ['newest', 'oldest', 'top'] as const;
export type ThreadSort = (typeof SORTS)[number];

export class QuoteDto {
  @ApiProperty({ maxLength: 1000, description: 'the selected text, as shown in the block' })
  @IsString()
  @StorableText()
  @Length(1, 1000)
  exact: string;

  @ApiPropertyOptional({ maxLength: 200, description: 'text just before the selection' })
  @IsOptional()
  @IsString()
  @StorableText()
  @Length(0, 200)
  prefix?: string;

  @ApiPropertyOptional({ maxLength: 200, description: 'text just after the selection' })
  @IsOptional()
  @IsString()
  @StorableText()
  @Length(0, 200)
  suffix?: string;
}

export class AnchorDto {
  @ApiProperty({ description: "id of one of the article's blocks" })
  @IsString()
  @Matches(/^[\w-]{1,64}$/, { message: 'anchor.blockId is not a block id' })
  blockId: string;

  @ApiPropertyOptional({ type: QuoteDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => QuoteDto)
  quote?: QuoteDto;
}

export class PostCommentDto {
  @ApiProperty({ minLength: 1, maxLength: 80 })
  @IsString()
  @SingleLine()
  @Length(1, 80)
  @Matches(/\S/, { message: 'authorName must not be blank' })
  @Visible()
  authorName: string;

  @ApiProperty({ maxLength: 254 })
  @IsString()
  @NoInvisibleCharacters()
  @Length(3, 254)
  @IsEmail({}, { message: 'authorEmail must be a valid email address' })
  authorEmail: string;

  @ApiProperty({ minLength: 1, maxLength: 10000, description: 'markdown subset' })
  @IsString()
  @StorableText()
  @Length(1, 10000)
  @Matches(/\S/, { message: 'body must not be blank' })
  body: string;

  @ApiPropertyOptional({ description: 'reply to this approved comment of the same article' })
  @IsOptional()
  @IsUUID('all', { message: 'parentId is not a comment id' })
  parentId?: string;

  @ApiPropertyOptional({ type: AnchorDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AnchorDto)
  anchor?: AnchorDto;

  @ApiPropertyOptional({ enum: ['none', 'replies', 'followups'], default: 'none' })
  @IsOptional()
  @IsIn(['none', 'replies', 'followups'])
  notify?: NotifyChoice;

  @ApiPropertyOptional({ description: 'honeypot: leave empty' })
  @IsOptional()
  @IsString()
  @Length(0, 500)
  website?: string;
}

export class EditCommentDto {
  @ApiProperty({ minLength: 1, maxLength: 10000 })
  @IsString()
  @StorableText()
  @Length(1, 10000)
  @Matches(/\S/, { message: 'body must not be blank' })
  body: string;
}

export class VoteDto {
  @ApiProperty({ enum: [1, 0, -1] })
  @IsIn([1, 0, -1])
  value: 1 | 0 | -1;
}

export class ThreadQuery extends ListQuery {
  @ApiPropertyOptional({ enum: SORTS, default: 'newest' })
  @IsOptional()
  @IsIn(SORTS)
  sort: ThreadSort = 'newest';

  @ApiPropertyOptional({ description: '"inline" or a block id' })
  @IsOptional()
  @IsString()
  @Matches(/^[\w-]{1,64}$/, { message: 'anchor must be "inline" or a block id' })
  anchor?: string;
}

export class CountsDto {
  @ApiProperty({ type: [String], maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(/^[a-z0-9-]{1,120}$/, { each: true, message: 'slugs must be article slugs' })
  slugs: string[];
}

export interface AnchorResponse {
  blockId: string;
  quote: Quote | null;
  state: AnchorState;
}

export interface CommentNode {
  id: string;
  parentId: string | null;
  depth: number;
  authorName: string | null;
  bodyHtml: string | null;
  createdAt: string;
  editedAt: string | null;
  status: 'approved' | 'deleted' | 'pending';
  anchor: AnchorResponse | null;
  pinned: boolean;
  votes: { up: number; down: number; score: number };
  replyCount: number;
  replies: CommentNode[];
  moreReplies: boolean;
}

export interface PostedComment {
  comment: CommentNode;
  editToken: string;
  editableUntil: string;
}

export interface ThreadPage {
  items: CommentNode[];
  nextCursor: string | null;
  total: number;
}

export interface VoteResponse {
  up: number;
  down: number;
  score: number;
  myVote: 1 | 0 | -1;
}

export interface CommentCountResponse {
  total: number;
  inline: Record<string, number>;
}

/** The columns a public read needs: never the email, the ip hash or the source. */
export type CommentRowFields = Pick<
  CommentEntity,
  | 'id'
  | 'parentId'
  | 'rootId'
  | 'depth'
  | 'authorName'
  | 'bodyHtml'
  | 'createdAt'
  | 'editedAt'
  | 'status'
  | 'anchorBlockId'
  | 'anchorQuote'
  | 'anchorState'
  | 'pinned'
  | 'upCount'
  | 'downCount'
  | 'replyCount'
>;

export type PublicCommentRow = CommentRowFields & {
  /** created_at to the microsecond, for keyset cursors (the Date holds milliseconds only). */
  cursorTime: string;
};

function publicStatus(status: CommentStatus): CommentNode['status'] {
  if (status === 'approved' || status === 'deleted') {
    return status;
  }
  // Held, spam and trash look the same to their author: waiting for review.
  return 'pending';
}

/**
 * The public shape of one comment. A deleted comment is a placeholder: no author, no body. The
 * mapper never sees the email address (the row type has none) and never nests; see buildTree.
 */
export function toCommentResponse(row: CommentRowFields): CommentNode {
  const deleted = row.status === 'deleted';
  return {
    id: row.id,
    parentId: row.parentId,
    depth: row.depth,
    authorName: deleted ? null : row.authorName,
    bodyHtml: deleted ? null : row.bodyHtml,
    createdAt: row.createdAt.toISOString(),
    editedAt: deleted ? null : (row.editedAt?.toISOString() ?? null),
    status: publicStatus(row.status),
    anchor:
      row.anchorBlockId && row.anchorState
        ? { blockId: row.anchorBlockId, quote: row.anchorQuote, state: row.anchorState }
        : null,
    pinned: row.pinned,
    votes: { up: row.upCount, down: row.downCount, score: row.upCount - row.downCount },
    replyCount: row.replyCount,
    replies: [],
    moreReplies: false,
  };
}

/**
 * Nests rows (oldest first) under their parents. A row whose parent is not among them (beyond a
 * page or withdrawn) is placed at the top of the list, so nothing that was fetched is dropped.
 */
export function buildTree(rows: CommentRowFields[]): CommentNode[] {
  const nodes = new Map<string, CommentNode>();
  const top: CommentNode[] = [];
  for (const row of rows) {
    const node = toCommentResponse(row);
    nodes.set(node.id, node);
    const parent = row.parentId ? nodes.get(row.parentId) : undefined;
    (parent ? parent.replies : top).push(node);
  }
  return top;
}
