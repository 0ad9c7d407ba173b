import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { AdminRole, AdminTokenEntity } from '../auth/admin-token.entity';
import { AdminTokensService } from '../auth/admin-tokens.service';
import { rerenderStaleBodies } from '../comments/comment-rerender';
import { COMMENT_RENDER_VERSION } from '../comments/comment-body';
import { ConfigError, loadConfig } from '../config/app-config';
import { logToStderrOnly } from './cli-logging';
import { dataSourceOptions } from '../database/data-source-options';
import { migrate } from '../database/migrator';

const USAGE = `usage:
  npm run admin -- token create --name NAME --role admin|moderator
  npm run admin -- token revoke --name NAME
  npm run admin -- token list
  npm run admin -- comments rerender [--batch-size N]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  logToStderrOnly();
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      role: { type: 'string' },
      'batch-size': { type: 'string' },
    },
  });
  const [subject, verb] = positionals;
  const rerender = subject === 'comments' && verb === 'rerender';
  if (!rerender && (subject !== 'token' || !['create', 'revoke', 'list'].includes(verb ?? ''))) {
    fail(USAGE);
  }
  const batchSize = Number(values['batch-size'] ?? 500);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    fail('--batch-size must be a whole number from 1 to 10000');
  }
  const config = loadConfig(process.env);
  const dataSource = await new DataSource(dataSourceOptions(config.database)).initialize();
  try {
    await migrate(dataSource, config.database.kind === 'pglite');
    if (rerender) {
      const done = await rerenderStaleBodies(dataSource, batchSize);
      process.stdout.write(
        `re-rendered ${done.comments} comments and ${done.revisions} revisions ` +
          `to render version ${COMMENT_RENDER_VERSION}\n`,
      );
      return;
    }
    const tokens = new AdminTokensService(dataSource.getRepository(AdminTokenEntity), config);
    if (verb === 'list') {
      for (const t of await tokens.list()) {
        const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'live';
        process.stdout.write(`${t.name}\t${t.role}\t${state}\n`);
      }
      return;
    }
    const name = values.name?.trim();
    if (!name || !/^[\w.@-]{1,64}$/.test(name)) {
      fail('--name is required: 1-64 letters, digits, ".", "@", "_" or "-"');
    }
    if (verb === 'revoke') {
      if (!(await tokens.revoke(name))) {
        fail(`no live token named "${name}"`);
      }
      process.stdout.write(`revoked "${name}"\n`);
      return;
    }
    const role = values.role as AdminRole;
    if (role !== 'admin' && role !== 'moderator') {
      fail('--role must be admin or moderator');
    }
    const token = await tokens.create(name, role);
    if (!token) {
      fail(`a live token named "${name}" exists already; revoke it first`);
    }
    process.stdout.write(`${token}\n`);
    process.stderr.write(`created ${role} token "${name}"; it is shown only this once\n`);
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  fail(error instanceof ConfigError ? `configuration error: ${error.message}` : String(error));
});
