import axe from 'axe-core';
import { HtmlValidate } from 'html-validate';
import { Page } from 'playwright-core';

/**
 * Checks for the moderation console's pages (the reader pages have a helper of their own):
 * html-validate on the HTML the server sent, and axe-core in the browser on the rendered page.
 */
const validator = new HtmlValidate({
  extends: ['html-validate:standard', 'html-validate:a11y'],
  rules: {
    // Markup style, not validity: the templates use both forms.
    'void-style': 'off',
    'no-trailing-whitespace': 'off',
    // Handlebars escapes `=` in attribute values as &#x3D;.
    'no-redundant-character-reference': 'off',
  },
});

/** The html-validate messages for one page ("rule: message at line:column"), empty when valid. */
export async function consoleHtmlProblems(html: string): Promise<string[]> {
  const report = await validator.validateString(html);
  return report.results.flatMap((r) =>
    r.messages.map((m) => `${m.ruleId}: ${m.message} at ${m.line}:${m.column}`),
  );
}

/** axe-core violations on the page as shown ("rule (impact): n nodes"), empty when none. */
export async function consoleAxeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline scripts) does not apply.
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    const run = (window as unknown as { axe: typeof axe }).axe.run;
    const outcome = await run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
    });
    return outcome.violations.map(
      (v) =>
        `${v.id} (${v.impact ?? 'n/a'}): ${v.nodes.length} nodes, e.g. ${v.nodes[0]?.target.join(' ')}`,
    );
  });
  return result;
}
