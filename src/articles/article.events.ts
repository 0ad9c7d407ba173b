import { EntityManager } from 'typeorm';
import { ArticleBlock } from './article.entity';

/**
 * Emitted (and awaited) inside the transaction that saves an article whose blocks changed, so
 * features holding references into the body (inline comments) can re-resolve them atomically.
 */
export class ArticleBlocksChangedEvent {
  static readonly event = 'article.blocks-changed';

  constructor(
    readonly articleId: string,
    readonly previous: ArticleBlock[],
    readonly blocks: ArticleBlock[],
    readonly manager: EntityManager,
  ) {}
}
