import { ValidationOptions, registerDecorator, ValidationArguments } from 'class-validator';
import {
  codePointLength,
  hasVisibleCharacter,
  invisibleCharacterReason,
  singleLineReason,
  unstorableReason,
} from './text-rules';

/** A string of min..max code points (not UTF-16 units, not bytes). */
export function Length(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'codePointLength',
      target: target.constructor,
      propertyName: propertyName as string,
      // The bounds travel with the error, so a reader's message can name them.
      options: { ...options, context: { min, max, ...(options?.context as object) } },
      validator: {
        validate: (value: unknown) => {
          const length = typeof value === 'string' ? codePointLength(value) : -1;
          return length >= min && length <= max;
        },
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be a string of ${min} to ${max} characters`,
      },
    });
}

/** Single-line text (names, titles): no line breaks, control or bidi characters. */
export function SingleLine(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'singleLine',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || singleLineReason(value) === null,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} ${singleLineReason(String(args.value)) ?? 'is not valid'}`,
      },
    });
}

/** Multi-line text (bodies): newlines allowed, other controls and broken Unicode not. */
export function StorableText(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'storableText',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || unstorableReason(value) === null,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} ${unstorableReason(String(args.value)) ?? 'is not valid'}`,
      },
    });
}

/** Text that shows something: not only spaces, format characters or blank letters. */
export function Visible(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'visible',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || hasVisibleCharacter(value),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must contain a visible character`,
      },
    });
}

/** An email address with no invisible characters (zero-width, bidi or other format characters). */
export function NoInvisibleCharacters(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'noInvisibleCharacters',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'string' ||
          (invisibleCharacterReason(value) === null && singleLineReason(value) === null),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} ${
            invisibleCharacterReason(String(args.value)) ??
            singleLineReason(String(args.value)) ??
            'is not valid'
          }`,
      },
    });
}
