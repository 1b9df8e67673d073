import type { DiagnosticLog } from "@slipway/core";

/** Where adapters say what went wrong: Powertools' Logger in the functions, stderr in the CLI. */
export type AdapterLog = DiagnosticLog & {
  error(message: string, ...attributes: Record<string, unknown>[]): void;
};
