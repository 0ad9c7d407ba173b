import { Module } from '@nestjs/common';
import { ArticlesModule } from '../articles/articles.module';
import { CommentsModule } from '../comments/comments.module';
import { ArticlePageController } from './article-page.controller';
import { PagesService } from './pages.service';

@Module({
  imports: [ArticlesModule, CommentsModule],
  controllers: [ArticlePageController],
  providers: [PagesService],
  exports: [PagesService],
})
export class WebModule {}
