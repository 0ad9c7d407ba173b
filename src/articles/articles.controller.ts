import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ListQuery, Page } from '../common/list.dto';
import { ArticlesService } from './articles.service';
import { ArticleResponse, ArticleSummaryResponse } from './dto/article.dto';

@ApiTags('articles')
@Controller('api/articles')
export class ArticlesController {
  constructor(private readonly articles: ArticlesService) {}

  @Get()
  list(@Query() query: ListQuery): Promise<Page<ArticleSummaryResponse>> {
    return this.articles.listPublished(query.limit, query.cursor);
  }

  @Get(':slug')
  get(@Param('slug') slug: string): Promise<ArticleResponse> {
    return this.articles.getPublished(slug);
  }
}
