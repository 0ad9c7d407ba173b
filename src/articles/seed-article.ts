import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../config/app-root';

export interface SeedArticle {
  title: string;
  body: string;
}

/** The body ends with the paragraph closing "…he concluded."; what follows is the page footer. */
const LAST_BODY_LINE = /he concluded\.\s*$/;

export function parseSeedPage(text: string): SeedArticle {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const title = lines[0].trim();
  const end = lines.findIndex((line) => LAST_BODY_LINE.test(line));
  const bodyLines = end === -1 ? lines.slice(1) : lines.slice(1, end + 1);
  const paragraphs = bodyLines.map((l) => l.trim()).filter((l) => l.length > 0);
  return { title, body: paragraphs.join('\n\n') };
}

export function loadSeedArticle(): SeedArticle {
  return parseSeedPage(readFileSync(join(appRoot, 'seed', 'article-page.txt'), 'utf8'));
}
