import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { ArticleBlocksChangedEvent } from '../articles/article.events';
import { reanchor } from './anchoring';
import { CommentsRepository } from './comments.repository';

/**
 * Keeps inline comments on their passage when an editor changes the article. Runs inside the
 * article's update transaction (the event is awaited with its manager), so the article, the
 * anchors and the inline counts change together; errors propagate and roll the edit back.
 */
@Injectable()
export class CommentAnchorsListener {
  constructor(private readonly comments: CommentsRepository) {}

  @OnEvent(ArticleBlocksChangedEvent.event, { suppressErrors: false })
  async reanchorComments(event: ArticleBlocksChangedEvent): Promise<void> {
    const anchored = await this.comments.findAnchored(event.manager, event.articleId);
    if (anchored.length === 0) {
      return;
    }
    for (const comment of anchored) {
      const next = reanchor({ blockId: comment.blockId, quote: comment.quote }, event.blocks);
      if (next.blockId !== comment.blockId || next.state !== comment.state) {
        await this.comments.moveAnchor(event.manager, comment.id, next.blockId, next.state);
      }
    }
    await this.comments.recountInlineCounts(event.manager, event.articleId);
  }
}
