import { applyDecorators, Get, Header } from '@nestjs/common';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { FastifyRequest } from 'fastify';

/** A form's fields, as the urlencoded parser hands them over (strings, or arrays of them). */
export type FormFields = Record<string, unknown>;

export function formOf(req: FastifyRequest): FormFields {
  const body = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as FormFields) : {};
}

/** One string field, or undefined (an array or anything else is not a single value). */
export function field(form: FormFields, name: string): string | undefined {
  const value = form[name];
  return typeof value === 'string' ? value : undefined;
}

/** A repeated field (checkboxes): always an array of strings. */
export function fields(form: FormFields, name: string): string[] {
  const value = form[name];
  if (Array.isArray(value)) {
    return value.filter((v): v is string => typeof v === 'string');
  }
  return typeof value === 'string' ? [value] : [];
}

/** Lines of a textarea as a list, blanks dropped. */
export function lines(value: string | undefined): string[] {
  return (value ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Validates form values against the API's own DTO, so a form accepts exactly what the API does.
 * Returns the instance, or the messages to show next to the form.
 */
export async function validateAs<T extends object>(
  dto: ClassConstructor<T>,
  plain: Record<string, unknown>,
): Promise<{ value: T; errors: null } | { value: null; errors: string[] }> {
  // Fields left out keep the DTO's defaults (an explicit undefined would erase them).
  const given = Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined));
  const value = plainToInstance(dto, given);
  const problems = await validate(value, { whitelist: true, forbidNonWhitelisted: true });
  if (problems.length === 0) {
    return { value, errors: null };
  }
  const errors = problems.flatMap((p) =>
    Object.values(p.constraints ?? { x: `${p.property} is not valid` }),
  );
  return { value: null, errors };
}

/** Where a form may send the browser back to: a console path, never another site. */
export function safeBack(value: string | undefined, fallback: string): string {
  return value && /^\/admin(\/[\w\-/]*)?(\?[\w\-=&%.]*)?$/.test(value) && !value.includes('//')
    ? value
    : fallback;
}

/** A console page: GET, answered as HTML. */
export function Page(path?: string): MethodDecorator {
  return applyDecorators(Get(path), Header('Content-Type', 'text/html; charset=utf-8'));
}
