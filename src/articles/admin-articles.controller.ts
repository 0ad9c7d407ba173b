import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ListQuery, Page } from '../common/list.dto';
import { ArticlesService } from './articles.service';
import {
  ArticleResponse,
  ArticleSummaryResponse,
  CreateArticleDto,
  UpdateArticleDto,
} from './dto/article.dto';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin/articles')
export class AdminArticlesController {
  constructor(private readonly articles: ArticlesService) {}

  @Get()
  list(@Query() query: ListQuery): Promise<Page<ArticleSummaryResponse>> {
    return this.articles.listAll(query.limit, query.cursor);
  }

  @Get(':slug')
  get(@Param('slug') slug: string): Promise<ArticleResponse> {
    return this.articles.getAny(slug);
  }

  @Post()
  @HttpCode(201)
  create(@Body() input: CreateArticleDto): Promise<ArticleResponse> {
    return this.articles.create(input);
  }

  @Patch(':slug')
  update(@Param('slug') slug: string, @Body() input: UpdateArticleDto): Promise<ArticleResponse> {
    return this.articles.update(slug, input);
  }
}
