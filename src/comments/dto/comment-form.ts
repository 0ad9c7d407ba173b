import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { FieldError, fieldErrors } from '../../common/validation-errors';
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

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Maps the form onto the API's PostCommentDto and validates it with the same rules (and the same
 * refusal of unknown fields). Browsers send CRLF line breaks; the body is stored with LF.
 */
export function commentFromForm(
  raw: Record<string, unknown>,
): { input: PostCommentDto; errors: [] } | { input: null; errors: FieldError[] } {
  const unknown = Object.keys(raw).filter((key) => !FORM_FIELDS.has(key));
  if (unknown.length > 0) {
    return {
      input: null,
      errors: unknown.map((field) => ({
        field,
        code: 'unknown_field',
        message: `“${field}” is not a field this form accepts.`,
      })),
    };
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
  const errors = fieldErrors(
    validateSync(input, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }),
  );
  return errors.length > 0 ? { input: null, errors } : { input, errors: [] };
}
