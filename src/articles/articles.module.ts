import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ScaleOutModule } from '../database/scale-out.module';
import { AdminArticlesController } from './admin-articles.controller';
import { ArticleEntity } from './article.entity';
import { ArticleSeeder } from './article-seeder';
import { ArticlesController } from './articles.controller';
import { ArticlesRepository } from './articles.repository';
import { ArticlesService } from './articles.service';

@Module({
  imports: [TypeOrmModule.forFeature([ArticleEntity]), ScaleOutModule],
  controllers: [ArticlesController, AdminArticlesController],
  providers: [ArticlesRepository, ArticlesService, ArticleSeeder],
  exports: [ArticlesService, ArticlesRepository],
})
export class ArticlesModule {}
