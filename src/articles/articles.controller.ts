import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ListQuery, Page } from '../common/list.dto';
import { ReadContext, Reads } from '../database/read-context';
import { PublicCache } from '../http/public-cache';
import { ArticlesService } from './articles.service';
import { ArticleSummaryResponse } from './dto/article.dto';

@ApiTags('articles')
@Controller('api/articles')
export class ArticlesController {
  constructor(private readonly articles: ArticlesService) {}

  @Get()
  list(
    @Query() query: ListQuery,
    @Reads() reads: ReadContext,
  ): Promise<Page<ArticleSummaryResponse>> {
    return this.articles.listPublished(reads, query.limit, query.cursor);
  }

  /** The article as JSON text (an ArticleResponse), from its prepared copy. */
  @Get(':slug')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @PublicCache()
  @ApiOkResponse({ type: Object, description: 'an ArticleResponse' })
  get(@Param('slug') slug: string, @Reads() reads: ReadContext): Promise<string> {
    return this.articles.getPublishedJson(reads, slug);
  }
}
