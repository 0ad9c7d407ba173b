import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddCommentReportNetworks1764502000000 implements MigrationInterface {
  name = 'AddCommentReportNetworks1764502000000';

  async up(q: QueryRunner): Promise<void> {
    // The keyed hash of the reporter's network (IPv4 /24, IPv6 /64): the hold threshold counts
    // distinct networks, not voter ids, which a client chooses. Reports stored before this column
    // count by their address hash (ip_hash), the nearest thing they kept.
    await q.query('ALTER TABLE comment_reports ADD COLUMN network_hash text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE comment_reports DROP COLUMN network_hash');
  }
}
