import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Validate, ValidatorConstraint } from 'class-validator';
import { Length, NoInvisibleCharacters } from '../../common/validation';
import { isDeliverableAddress } from '../../mail/email-address';

@ValidatorConstraint({ name: 'deliverableAddress' })
class DeliverableAddress {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isDeliverableAddress(value.trim());
  }
  defaultMessage(): string {
    return 'email must be a single plain email address';
  }
}

/** The address a subscription request names: one plain, deliverable address. */
export function SubscriberEmail(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ maxLength: 254, example: 'reader@example.com' }),
    IsString(),
    NoInvisibleCharacters(),
    Length(3, 254),
    IsEmail({}, { message: 'email must be an email address' }),
    Validate(DeliverableAddress),
  );
}
