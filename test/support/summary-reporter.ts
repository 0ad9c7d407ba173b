import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line that CI tools read, e.g. `Tests: 180 passed, 0 failed,
 * 5 skipped`. A file that failed to load counts as one failed test, so a broken suite never
 * reads as green.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests += 1;
        const state = test.result().state;
        if (state === 'passed') {
          passed += 1;
        } else if (state === 'failed') {
          failed += 1;
        } else {
          skipped += 1;
        }
      }
      if (tests === 0 && module.state() === 'failed') {
        failed += 1;
      }
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
