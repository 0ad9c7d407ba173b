import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import juice from 'juice';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { appRoot } from '../config/app-root';
import {
  KIND_DESCRIPTIONS,
  MAIL_TEMPLATES,
  MailTemplateData,
  MailTemplateName,
  SubscriptionKind,
} from './mail-templates';

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
  /** Local part of the conversation's root Message-ID, when the template threads. */
  thread: string | null;
}

interface CompiledPair {
  html: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
}

const CONTENT_SLOT = '{{> content}}';

/** The layout's generic unsubscribe paragraph, between these markers. */
const LAYOUT_UNSUBSCRIBE = /{{#if unsubscribeUrl}}[\s\S]*?{{\/if}}/;

function ownsUnsubscribe(content: string, layout: string): string {
  return content.includes('{{unsubscribeUrl}}') ? layout.replace(LAYOUT_UNSUBSCRIBE, '') : layout;
}

function isTemplateName(name: string): name is MailTemplateName {
  return Object.prototype.hasOwnProperty.call(MAIL_TEMPLATES, name);
}

/**
 * Compiles each template pair once at start-up, from templates/mail under the app root. The
 * layout is joined to each template and its CSS inlined by juice at compile time (juice keeps
 * Handlebars blocks intact), so sending a mail costs one template call, not an HTML parse.
 */
@Injectable()
export class MailRenderer {
  private readonly handlebars = Handlebars.create();
  private readonly compiled = new Map<MailTemplateName, CompiledPair>();
  private readonly css: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const dir = join(appRoot, 'templates', 'mail');
    const htmlLayout = readFileSync(join(dir, 'layout.html.hbs'), 'utf8');
    const textLayout = readFileSync(join(dir, 'layout.txt.hbs'), 'utf8');
    this.css = /<style>([\s\S]*?)<\/style>/.exec(htmlLayout)?.[1] ?? '';
    this.handlebars.registerHelper('kindNoun', (kind: SubscriptionKind) =>
      String(KIND_DESCRIPTIONS[kind] ?? 'updates'),
    );
    for (const name of Object.keys(MAIL_TEMPLATES) as MailTemplateName[]) {
      const htmlContent = readFileSync(join(dir, `${name}.html.hbs`), 'utf8');
      const textContent = readFileSync(join(dir, `${name}.txt.hbs`), 'utf8').trimEnd();
      // One unsubscribe paragraph per mail: a template that words its own drops the layout's.
      const html = ownsUnsubscribe(htmlContent, htmlLayout).replace(CONTENT_SLOT, htmlContent);
      const text = ownsUnsubscribe(textContent, textLayout).replace(CONTENT_SLOT, textContent);
      this.compiled.set(name, {
        html: this.handlebars.compile(juice(html), { strict: false }),
        // Plain text is not HTML: no entity escaping there.
        text: this.handlebars.compile(text, { noEscape: true, strict: false }),
      });
    }
  }

  /** Inlines the mail CSS into an HTML fragment once (a newsletter body), not once per mail. */
  inlineFragment(html: string): string {
    return juice.inlineContent(html, this.css);
  }

  render<K extends MailTemplateName>(
    template: K,
    data: MailTemplateData[K],
    unsubscribeUrl: string | null,
  ): RenderedMail {
    const definition = MAIL_TEMPLATES[template];
    const pair = this.compiled.get(template)!;
    const subject = definition.subject(data).replace(/[\r\n]+/g, ' ');
    const common = {
      siteName: 'Marginalia',
      publicUrl: this.config.publicUrl,
      unsubscribeUrl,
      subject,
    };
    const htmlData: Record<string, unknown> = { ...data, ...common };
    for (const field of definition.trustedHtml ?? []) {
      htmlData[field as string] = new Handlebars.SafeString(String(data[field] ?? ''));
    }
    return {
      subject,
      html: pair.html(htmlData),
      text: pair.text({ ...data, ...common }).replace(/\n{3,}/g, '\n\n'),
      thread: definition.thread ? definition.thread(data) : null,
    };
  }

  /** For rows read back from the outbox, whose template name is only a string. */
  renderStored(template: string, payload: unknown, unsubscribeUrl: string | null): RenderedMail {
    if (!isTemplateName(template)) {
      throw new Error(`unknown mail template "${template}"`);
    }
    return this.render(template, payload as MailTemplateData[typeof template], unsubscribeUrl);
  }
}
