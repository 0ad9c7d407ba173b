import { Module } from '@nestjs/common';
import { ChangeFeed } from './change-feed';
import { PgNotifications } from './pg-notifications';
import { ReadReplica, ReadRouting } from './read-replica';

/**
 * What several instances need from the database besides transactions: the one LISTEN connection
 * (on the direct URL) and the change feed on it, and read routing to a replica (whose
 * per-request hook configureHttp installs). Imported by the features that use them.
 */
@Module({
  providers: [PgNotifications, ChangeFeed, ReadReplica, ReadRouting],
  exports: [PgNotifications, ChangeFeed, ReadReplica, ReadRouting],
})
export class ScaleOutModule {}
