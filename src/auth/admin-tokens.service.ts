import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { hashToken, newToken, sameHash } from '../common/tokens';
import { AdminRole, AdminTokenEntity } from './admin-token.entity';

export interface AdminPrincipal {
  name: string;
  role: AdminRole;
}

const TOKEN_PREFIX = 'mgadm_';

@Injectable()
export class AdminTokensService {
  private readonly envTokenHash: string | null;

  constructor(
    @InjectRepository(AdminTokenEntity) private readonly tokens: Repository<AdminTokenEntity>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.envTokenHash = config.adminToken ? hashToken(config.adminToken) : null;
  }

  /** Who holds this bearer token, or null. Only hashes are looked up and compared. */
  async verify(token: string): Promise<AdminPrincipal | null> {
    const presented = hashToken(token);
    if (this.envTokenHash && sameHash(presented, this.envTokenHash)) {
      return { name: 'ADMIN_TOKEN', role: 'admin' };
    }
    const row = await this.tokens.findOneBy({ tokenHash: presented, revokedAt: IsNull() });
    if (!row || !sameHash(presented, row.tokenHash)) {
      return null;
    }
    // Best effort and coarse: one write a minute at most per token.
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
      await this.tokens.update({ id: row.id }, { lastUsedAt: new Date() });
    }
    return { name: row.name, role: row.role };
  }

  /** Creates a named token and returns it: the only time the plain token exists. */
  async create(name: string, role: AdminRole): Promise<string | null> {
    const token = newToken(TOKEN_PREFIX);
    const result = await this.tokens
      .createQueryBuilder()
      .insert()
      .values({ name, role, tokenHash: hashToken(token) })
      .orIgnore()
      .execute();
    return (result.identifiers?.filter(Boolean).length ?? 0) > 0 ? token : null;
  }

  async revoke(name: string): Promise<boolean> {
    const result = await this.tokens.update(
      { name, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  list(): Promise<AdminTokenEntity[]> {
    return this.tokens.find({ order: { createdAt: 'ASC' } });
  }

  hasLiveToken(): Promise<boolean> {
    return this.tokens.existsBy({ revokedAt: IsNull() });
  }
}
