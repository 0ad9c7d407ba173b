import { Module } from '@nestjs/common';
import { ChangeFeed } from './change-feed';
import { ReadReplica, ReadRouting } from './read-replica';

/**
 * What several instances need from the database besides transactions: the change feed (LISTEN on
 * the direct connection) and read routing to a replica (whose per-request hook configureHttp
 * installs). Imported by the features that use them.
 */
@Module({
  providers: [ChangeFeed, ReadReplica, ReadRouting],
  exports: [ChangeFeed, ReadReplica, ReadRouting],
})
export class ScaleOutModule {}
