import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { SuppressionEntity, SuppressionReason } from './suppression.entity';

@Injectable()
export class SuppressionsRepository {
  constructor(
    @InjectRepository(SuppressionEntity) private readonly rows: Repository<SuppressionEntity>,
  ) {}

  async isSuppressed(emailKey: string, manager?: EntityManager): Promise<boolean> {
    const rows: unknown[] = await (manager ?? this.rows.manager).query(
      'SELECT 1 FROM suppressions WHERE email_key = $1',
      [emailKey],
    );
    return rows.length > 0;
  }

  /** The same, inside the caller's transaction. */
  async suppressIn(
    manager: EntityManager,
    emailKey: string,
    reason: SuppressionReason,
    detail: string,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO suppressions (email_key, reason, detail) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT suppressions_pk DO NOTHING`,
      [emailKey, reason, detail],
    );
  }

  /** Adds the address unless it is there already (the first reason is kept). */
  async suppress(emailKey: string, reason: SuppressionReason, detail: string): Promise<void> {
    await this.rows.query(
      `INSERT INTO suppressions (email_key, reason, detail) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT suppressions_pk DO NOTHING`,
      [emailKey, reason, detail],
    );
  }
}
