import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ChangeFeed } from './change-feed';
import { ReadReplica, ReadRoutingMiddleware } from './read-replica';

/**
 * What several instances need from the database besides transactions: the change feed (LISTEN on
 * the direct connection) and read routing to a replica. Imported by the features that use them.
 */
@Module({
  providers: [ChangeFeed, ReadReplica],
  exports: [ChangeFeed, ReadReplica],
})
export class ScaleOutModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ReadRoutingMiddleware).forRoutes('{*path}');
  }
}
