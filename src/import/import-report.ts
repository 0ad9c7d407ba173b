/** What an import did, kept on its run and printed by the CLI. */
export interface ImportReport {
  articles: { created: number; matched: number };
  comments: { imported: number; alreadyImported: number };
  /** Items not imported, by reason (`pingback`, `attachment`, `thread not matched` …). */
  skipped: Record<string, number>;
  /** Imported, but not quite as in the file (a missing parent made a reply top-level …). */
  notes: Record<string, number>;
  /** Disqus threads no article matched (at most 100 listed). */
  unmatchedThreads: { id: string; link: string; title: string }[];
}

export function emptyReport(): ImportReport {
  return {
    articles: { created: 0, matched: 0 },
    comments: { imported: 0, alreadyImported: 0 },
    skipped: {},
    notes: {},
    unmatchedThreads: [],
  };
}

export function count(bucket: Record<string, number>, reason: string, n = 1): void {
  bucket[reason] = (bucket[reason] ?? 0) + n;
}

export interface ImportProgress {
  bytesRead: number;
  bytesTotal: number | null;
  report: ImportReport;
}
