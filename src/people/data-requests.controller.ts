import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';
import { DataRequestDto } from './dto/data-request.dto';
import { DataRequestsService } from './data-requests.service';

@ApiTags('data rights')
@Controller('api/data-requests')
export class DataRequestsController {
  constructor(private readonly requests: DataRequestsService) {}

  /** The same 202 for every address, known or not; the link goes to the address. */
  @Post()
  @HttpCode(202)
  async request(
    @Body() body: DataRequestDto,
    @Req() req: FastifyRequest,
  ): Promise<{ status: 'pending' }> {
    await this.requests.request(body.kind, body.email, req.ip ?? null);
    return { status: 'pending' };
  }
}
