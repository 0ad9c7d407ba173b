import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../database/transactions';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DEFAULT_MODERATION_SETTINGS, ModerationSettings } from './moderation-policy';
import { UpdateModerationSettingsDto } from './dto/moderation-settings.dto';
import { AuditLog } from './audit-log';

function tidy(list: string[]): string[] {
  return [...new Set(list.map((s) => s.trim()).filter(Boolean))];
}

/** What an admin has set (the row's JSON); the rest falls back to the defaults. */
export type StoredModerationSettings = Partial<ModerationSettings>;

/** The stored settings as a scalar SQL expression (null when none were ever saved). */
export const STORED_SETTINGS_SQL = '(SELECT settings FROM moderation_settings WHERE id = 1)';

/**
 * The rules live in one database row and are read on every new comment, so a change made through
 * one instance applies on all of them at once. The row holds only what an admin has set: anything
 * never set (the mode included) falls back to the defaults and the `MODERATION` env mode, so
 * saving one field never freezes the others at whatever the saving instance had.
 */
@Injectable()
export class ModerationSettingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async current(manager: EntityManager = this.dataSource.manager): Promise<ModerationSettings> {
    return this.withStored(await this.stored(manager));
  }

  /** The settings in force, given what is stored (as STORED_SETTINGS_SQL reads it). */
  withStored(stored: StoredModerationSettings | null): ModerationSettings {
    return { mode: this.config.moderation, ...DEFAULT_MODERATION_SETTINGS, ...stored };
  }

  private async stored(manager: EntityManager): Promise<StoredModerationSettings> {
    const rows: { settings: StoredModerationSettings }[] = await manager.query(
      `SELECT ${STORED_SETTINGS_SQL} AS settings`,
    );
    return rows[0]?.settings ?? {};
  }

  async update(input: UpdateModerationSettingsDto, actor: string): Promise<ModerationSettings> {
    return inTransaction(this.dataSource, async (manager) => {
      // Serialize concurrent updates so neither silently drops the other's fields.
      await manager.query('SELECT pg_advisory_xact_lock(7216355111)');
      const before = await this.current(manager);
      const given: Partial<ModerationSettings> = Object.fromEntries(
        Object.entries(input).filter(([, value]) => value !== undefined),
      );
      const lists = {
        holdWords: (l: string[]) => tidy(l),
        blockWords: (l: string[]) => tidy(l),
        blockedEmails: (l: string[]) => tidy(l).map((e) => e.toLowerCase()),
        blockedIps: (l: string[]) => tidy(l),
        moderatorEmails: (l: string[]) => tidy(l).map((e) => e.toLowerCase()),
      };
      for (const [name, clean] of Object.entries(lists)) {
        const key = name as keyof typeof lists;
        if (given[key]) {
          given[key] = clean(given[key]);
        }
      }
      const saved = { ...(await this.stored(manager)), ...given };
      const after: ModerationSettings = { ...before, ...given };
      await manager.query(
        `INSERT INTO moderation_settings (id, settings, updated_at, updated_by)
         VALUES (1, $1, now(), $2)
         ON CONFLICT (id) DO UPDATE SET settings = EXCLUDED.settings,
           updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
        [JSON.stringify(saved), actor],
      );
      await this.audit.record(manager, {
        actor,
        action: 'settings.update',
        details: { before, after },
      });
      return after;
    });
  }
}
