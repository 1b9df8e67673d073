/**
 * Where use cases say what went wrong without failing (a GitHub outage, a StopBuild error).
 * Powertools' Logger satisfies it; values must never contain secrets.
 */
export interface DiagnosticLog {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}
