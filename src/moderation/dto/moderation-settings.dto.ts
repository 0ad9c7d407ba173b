import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { ModerationMode } from '../../config/app-config';
import { Length, SingleLine } from '../../common/validation';
import { isIpOrRange } from '../moderation-rules';

@ValidatorConstraint({ name: 'ipOrRange' })
class IpOrRange implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isIpOrRange(value);
  }

  defaultMessage(): string {
    return 'blockedIps must hold IP addresses or CIDR ranges';
  }
}

@ValidatorConstraint({ name: 'emailPattern' })
class EmailPattern implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return (
      typeof value === 'string' &&
      value.length <= 254 &&
      /^(\*|[^\s@*]+)@[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(value)
    );
  }

  defaultMessage(): string {
    return 'blockedEmails must hold addresses or *@domain patterns';
  }
}

/** An optional list of words or phrases: up to 1,000, each one line of 1–100 characters. */
function OptionalWordList(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: [String] }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(1000),
    IsString({ each: true }),
    SingleLine({ each: true }),
    Length(1, 100, { each: true }),
  );
}

/** PUT takes any subset; fields left out keep their current value. */
export class UpdateModerationSettingsDto {
  @ApiPropertyOptional({ enum: ['none', 'first', 'all'] })
  @IsOptional()
  @IsIn(['none', 'first', 'all'])
  mode?: ModerationMode;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  maxLinks?: number;

  @OptionalWordList()
  holdWords?: string[];

  @OptionalWordList()
  blockWords?: string[];

  @ApiPropertyOptional({ type: [String], description: 'addresses or *@domain patterns' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @Validate(EmailPattern, { each: true })
  blockedEmails?: string[];

  @ApiPropertyOptional({ type: [String], description: 'IP addresses or CIDR ranges' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @Validate(IpOrRange, { each: true })
  blockedIps?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  reportThreshold?: number;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsEmail({}, { each: true })
  moderatorEmails?: string[];
}
