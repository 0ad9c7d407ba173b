import { BadRequestException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { codePointLength } from './text-rules';

/** One invalid field of a request: where, a stable machine code, and a sentence for a reader. */
export interface FieldError {
  /** The field's path in the request body or query, e.g. `authorEmail` or `anchor.quote.exact`. */
  field: string;
  code: FieldErrorCode;
  message: string;
}

export const FIELD_ERROR_CODES = [
  'required',
  'invalid_email',
  'too_short',
  'too_long',
  'invalid_characters',
  'invalid_choice',
  'consent_required',
  'unknown_field',
  'invalid',
] as const;
export type FieldErrorCode = (typeof FIELD_ERROR_CODES)[number];

/** How a field is named in a sentence for a reader; fields not listed read as their name. */
const LABELS: Record<string, string> = {
  authorName: 'your name',
  authorEmail: 'your email address',
  email: 'your email address',
  body: 'your comment',
  reason: 'a reason',
  name: 'your name',
  title: 'a title',
  summary: 'a summary',
  author: 'the author',
  subject: 'a subject',
  notify: 'what to be notified of',
  kind: 'what to be notified of',
  'anchor.quote.exact': 'the quoted passage',
};

const EMAIL_CHECKS = new Set(['isEmail', 'deliverableAddress']);
/** Whatever is wrong with an address, a reader is asked for a valid one. */
const EMAIL_FIELDS = new Set(['authorEmail', 'email']);
const TEXT_CHECKS = new Set(['singleLine', 'storableText', 'noInvisibleCharacters']);
const CHOICE_CHECKS = new Set(['isIn', 'isEnum']);

function label(field: string): string {
  return LABELS[field] ?? LABELS[field.split('.').pop() ?? field] ?? field;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
  );
}

function describe(field: string, error: ValidationError): FieldError {
  const checks = Object.keys(error.constraints ?? {});
  const name = label(field);
  const at = (code: FieldErrorCode, message: string): FieldError => ({ field, code, message });
  if (checks.includes('whitelistValidation')) {
    return at('unknown_field', `“${field}” is not a field this request accepts.`);
  }
  if (field === 'consent' || field.endsWith('.consent')) {
    return at('consent_required', 'Please tick the box to agree to receive the newsletter.');
  }
  // Only spaces or invisible characters reads, to a reader, as nothing typed.
  if (isEmpty(error.value) || checks.includes('visible')) {
    return at('required', `Please enter ${name}.`);
  }
  if (checks.some((c) => EMAIL_CHECKS.has(c)) || EMAIL_FIELDS.has(field)) {
    return at('invalid_email', 'Please enter a valid email address.');
  }
  if (checks.some((c) => TEXT_CHECKS.has(c))) {
    return at(
      'invalid_characters',
      `${capitalized(name)} contains characters that cannot be used here (such as line breaks or control characters).`,
    );
  }
  const bounds = error.contexts?.codePointLength as { min: number; max: number } | undefined;
  if (checks.includes('codePointLength') && bounds && typeof error.value === 'string') {
    return codePointLength(error.value) > bounds.max
      ? at('too_long', `${capitalized(name)} can be at most ${bounds.max} characters long.`)
      : at('too_short', `${capitalized(name)} must be at least ${bounds.min} characters long.`);
  }
  if (checks.some((c) => CHOICE_CHECKS.has(c))) {
    return at('invalid_choice', `Please choose one of the offered options for ${name}.`);
  }
  return at('invalid', `Please check ${name}.`);
}

/** One entry per invalid field (the first problem a reader should fix), nested fields included. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.keys(error.constraints ?? {}).length > 0 ? [describe(field, error)] : [];
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

/** The validators' own sentences, kept in `message` for clients that read it. */
export function developerMessages(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}),
    ...developerMessages(e.children ?? []),
  ]);
}

/** A 400 whose body lists every invalid field: `{statusCode, error, message, errors}`. */
export class ValidationFailedException extends BadRequestException {
  constructor(
    readonly fields: FieldError[],
    messages: string[],
  ) {
    super({ message: messages.join('; '), errors: fields });
  }

  static from(errors: ValidationError[]): ValidationFailedException {
    return new ValidationFailedException(fieldErrors(errors), developerMessages(errors));
  }
}

/**
 * Validates a page form (x-www-form-urlencoded: strings only) against a DTO with the API's rules,
 * so the page can show the form again with one message per field instead of an error page.
 */
export function validateForm<T extends object>(
  dto: new () => T,
  raw: Record<string, unknown>,
): { input: T; errors: [] } | { input: null; errors: FieldError[] } {
  const trimmed = Object.fromEntries(
    Object.entries(raw ?? {}).map(([key, value]) => [
      key,
      typeof value === 'string' ? value.trim() : value,
    ]),
  );
  const input = plainToInstance(dto, trimmed);
  const errors = fieldErrors(
    validateSync(input, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }),
  );
  return errors.length > 0 ? { input: null, errors } : { input, errors: [] };
}

/** A form field as the reader typed it, for showing the form again (anything else reads empty). */
export function typed(form: Record<string, unknown> | undefined, name: string): string {
  const value = form?.[name];
  return typeof value === 'string' ? value : '';
}
