import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { EmailParamPipe } from './email-param.pipe';
import { PeopleService, PersonExport } from './people.service';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin/people')
export class PeopleController {
  constructor(private readonly people: PeopleService) {}

  @Get(':email/export')
  export(@Param('email', EmailParamPipe) email: string): Promise<PersonExport> {
    return this.people.export(email);
  }

  @Delete(':email')
  @HttpCode(204)
  erase(@Param('email', EmailParamPipe) email: string): Promise<void> {
    return this.people.erase(email);
  }
}
