import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { SubscriberEmail } from '../../subscriptions/dto/subscriber-email';
import { DataRequestKind } from '../data-requests.service';

/** A reader's request for their own data (`export`) or its erasure (`erase`). */
export class DataRequestDto {
  @SubscriberEmail()
  email: string;

  @ApiProperty({ enum: ['export', 'erase'] })
  @IsIn(['export', 'erase'])
  kind: DataRequestKind;
}
