import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { invisibleCharacterReason } from '../common/text-rules';

/** An address in the path: one valid address or 400. */
@Injectable()
export class EmailParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const email = value.trim();
    if (email.length > 254 || invisibleCharacterReason(email) !== null || !isEmail(email)) {
      throw new BadRequestException('email must be a valid email address');
    }
    return email;
  }
}
