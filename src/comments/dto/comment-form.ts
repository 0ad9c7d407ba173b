import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { PostCommentDto } from './comment.dto';

/** The reader page's no-JavaScript form: flat fields, posted as x-www-form-urlencoded. */
export interface CommentFormFields {
  authorName?: string;
  authorEmail?: string;
  body?: string;
  parentId?: string;
  notify?: string;
  website?: string;
  anchorBlockId?: string;
  anchorExact?: string;
  anchorPrefix?: string;
  anchorSuffix?: string;
}

const FORM_FIELDS = new Set<string>([
  'authorName',
  'authorEmail',
  'body',
  'parentId',
  'notify',
  'website',
  'anchorBlockId',
  'anchorExact',
  'anchorPrefix',
  'anchorSuffix',
]);

function messages(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}),
    ...messages(e.children ?? []),
  ]);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Maps the form onto the API's PostCommentDto and validates it with the same rules (and the same
 * refusal of unknown fields). Browsers send CRLF line breaks; the body is stored with LF.
 */
export function commentFromForm(
  raw: Record<string, unknown>,
): { input: PostCommentDto; errors: [] } | { input: null; errors: string[] } {
  const unknown = Object.keys(raw).filter((key) => !FORM_FIELDS.has(key));
  if (unknown.length > 0) {
    return { input: null, errors: unknown.map((key) => `property ${key} should not exist`) };
  }
  const fields = raw as CommentFormFields;
  const blockId = text(fields.anchorBlockId);
  const exact = text(fields.anchorExact);
  const plain = {
    authorName:
      typeof fields.authorName === 'string' ? fields.authorName.trim() : fields.authorName,
    authorEmail:
      typeof fields.authorEmail === 'string' ? fields.authorEmail.trim() : fields.authorEmail,
    body: typeof fields.body === 'string' ? fields.body.replace(/\r\n?/g, '\n') : fields.body,
    parentId: text(fields.parentId),
    notify: text(fields.notify),
    website: text(fields.website),
    anchor: blockId
      ? {
          blockId,
          quote: exact
            ? { exact, prefix: text(fields.anchorPrefix), suffix: text(fields.anchorSuffix) }
            : undefined,
        }
      : undefined,
  };
  const input = plainToInstance(PostCommentDto, JSON.parse(JSON.stringify(plain)) as object);
  const errors = messages(
    validateSync(input, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }),
  );
  return errors.length > 0 ? { input: null, errors } : { input, errors: [] };
}
