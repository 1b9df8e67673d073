import type * as z from "@slipway/core/zod";

/** A settings error's text: paths and messages only, since zod's messages never echo values. */
export function settingsIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`).join("; ");
}
