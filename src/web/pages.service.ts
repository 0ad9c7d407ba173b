import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { appRoot } from '../config/app-root';

export interface PageData {
  title: string;
  [key: string]: unknown;
}

/**
 * Compiles every template under templates/pages and templates/partials once, at start-up, from
 * the app root (never from src/). Handlebars escapes `{{ }}` by default; HTML that we produced and
 * sanitized ourselves is passed as SafeString by the caller, never through a triple-stash.
 */
@Injectable()
export class PagesService {
  private readonly handlebars = Handlebars.create();
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const dir = join(appRoot, 'templates');
    for (const file of readdirSync(join(dir, 'partials'))) {
      if (file.endsWith('.hbs')) {
        this.handlebars.registerPartial(
          basename(file, '.hbs'),
          readFileSync(join(dir, 'partials', file), 'utf8'),
        );
      }
    }
    for (const file of readdirSync(join(dir, 'pages'))) {
      if (file.endsWith('.hbs')) {
        const source = readFileSync(join(dir, 'pages', file), 'utf8');
        // preventIndent: a partial on a line of its own must not indent what it outputs, or the
        // text inside <pre> in articles and comments would change.
        this.pages.set(
          basename(file, '.hbs'),
          this.handlebars.compile(source, { strict: false, preventIndent: true }),
        );
      }
    }
    this.handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    this.handlebars.registerHelper('plural', (n: unknown, one: unknown, many: unknown) =>
      n === 1 ? `1 ${String(one)}` : `${Number(n) || 0} ${String(many)}`,
    );
    this.handlebars.registerHelper('isoDate', (d: unknown) =>
      typeof d === 'string' ? d.slice(0, 10) : '',
    );
    this.handlebars.registerHelper('longDate', (d: unknown) =>
      typeof d === 'string'
        ? new Date(d).toLocaleDateString('en-GB', {
            day: 'numeric',
            month: 'long',
            year: 'numeric',
            timeZone: 'UTC',
          })
        : '',
    );
  }

  /** Marks HTML as already safe: only for markup this app rendered and sanitized itself. */
  trusted(html: string): Handlebars.SafeString {
    return new Handlebars.SafeString(html);
  }

  render(page: string, data: PageData): string {
    const template = this.pages.get(page);
    if (!template) {
      throw new Error(`no page template "${page}"`);
    }
    // Template blocks leave spaces at line ends; they carry nothing (and pre text keeps its own).
    return template({ ...data, siteName: 'Marginalia', publicUrl: this.config.publicUrl }).replace(
      /[ \t]+(?=\r?\n)/g,
      '',
    );
  }
}
