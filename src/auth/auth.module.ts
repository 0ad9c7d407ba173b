import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminBootstrap } from './admin-bootstrap';
import { AdminTokenEntity } from './admin-token.entity';
import { AdminTokensService } from './admin-tokens.service';

@Module({
  imports: [TypeOrmModule.forFeature([AdminTokenEntity])],
  providers: [AdminTokensService, AdminBootstrap, { provide: APP_GUARD, useClass: AdminAuthGuard }],
  exports: [AdminTokensService],
})
export class AuthModule {}
