import { Controller, Get, Header, NotFoundException, Param } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ArticlesRepository } from '../articles/articles.repository';
import { ArticlesService } from '../articles/articles.service';
import { ArticleResponse } from '../articles/dto/article.dto';
import { PagesService } from './pages.service';

@ApiExcludeController()
@Controller()
export class ArticlePageController {
  constructor(
    private readonly articles: ArticlesService,
    private readonly repository: ArticlesRepository,
    private readonly pages: PagesService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  async home(): Promise<string> {
    const newest = await this.repository.findNewestPublished();
    if (!newest) {
      return this.pages.render('empty', { title: 'Nothing published yet' });
    }
    return this.renderArticle(await this.articles.getPublished(newest.slug));
  }

  @Get('articles/:slug')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async article(@Param('slug') slug: string): Promise<string> {
    if (!/^[a-z0-9-]{1,120}$/.test(slug)) {
      throw new NotFoundException('article not found');
    }
    return this.renderArticle(await this.articles.getPublished(slug));
  }

  private renderArticle(article: ArticleResponse): string {
    return this.pages.render('article', {
      title: article.title,
      description: article.summary,
      article,
      blocks: article.blocks.map((b) => ({ ...b, html: this.pages.trusted(b.html) })),
      scripts: ['newsletter.js'],
    });
  }
}
