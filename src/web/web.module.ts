import { Module } from '@nestjs/common';
import { ArticlesModule } from '../articles/articles.module';
import { CommentsModule } from '../comments/comments.module';
import { ArticlePageController } from './article-page.controller';
import { ArticlePageRenderer } from './article-page.renderer';
import { PagesService } from './pages.service';

@Module({
  imports: [ArticlesModule, CommentsModule],
  controllers: [ArticlePageController],
  providers: [PagesService, ArticlePageRenderer],
  exports: [PagesService, ArticlePageRenderer],
})
export class WebModule {}
