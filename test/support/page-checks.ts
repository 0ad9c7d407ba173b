import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HtmlValidate, StaticConfigLoader } from 'html-validate';
import type { Page } from 'playwright-core';

/**
 * The page checks every browser test runs on every page it shows: the HTML against
 * html-validate's recommended rules, and the rendered page against axe-core (no serious or
 * critical violation). Shared by the reader pages' tests and any other page's tests.
 */

export interface HtmlFinding {
  rule: string;
  message: string;
  line: number;
  selector: string | null;
}

const validator = new HtmlValidate(
  new StaticConfigLoader({ extends: ['html-validate:recommended'] }),
);

/** html-validate's findings on a document (its recommended rules, nothing switched off). */
export async function htmlFindings(html: string): Promise<HtmlFinding[]> {
  const report = await validator.validateString(html);
  return report.results.flatMap((result) =>
    result.messages.map((m) => ({
      rule: m.ruleId,
      message: m.message,
      line: m.line,
      selector: m.selector,
    })),
  );
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

const axeSource = readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's violations of the given impacts on the page as it is now. The script is evaluated
 * through the DevTools protocol, which the page's CSP does not govern, so nothing is relaxed.
 */
export async function axeViolations(
  page: Page,
  impacts: string[] = ['serious', 'critical'],
): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) {
    await page.evaluate(axeSource);
  }
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run();
    return result.violations as {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[] }[];
    }[];
  });
  return violations
    .filter((v) => impacts.includes(v.impact ?? ''))
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
}

/**
 * Both checks: html-validate on the HTML as served (the DOM a browser serializes after scripts
 * ran differs only in attribute spelling), axe on the page as scripts left it. Each finding is
 * one readable line.
 */
export async function pageProblems(page: Page, served?: string): Promise<string[]> {
  const problems: string[] = [];
  for (const f of await htmlFindings(served ?? (await page.content()))) {
    problems.push(`html-validate ${f.rule} line ${f.line}: ${f.message}`);
  }
  for (const v of await axeViolations(page)) {
    problems.push(`axe ${v.impact} ${v.id}: ${v.help} — ${v.targets.slice(0, 3).join(', ')}`);
  }
  return problems;
}
