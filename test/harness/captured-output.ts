import { vi } from "vitest";

/**
 * Captures what a handler writes instead of printing it: Powertools writes info and metrics
 * to stdout, warnings and errors to stderr. Call in `beforeEach`; `vi.restoreAllMocks()`
 * in `afterEach` releases the streams. The returned array fills as the test runs.
 */
export function captureOutput(): string[] {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
  }
  return lines;
}
