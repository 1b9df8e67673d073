import type { StagePin } from "@slipway/core";

/**
 * What both ledgers offer besides core's port, for their contract tests and operator tools:
 * core never calls these, so they are not part of the port.
 */
export type LedgerInspection = {
  /** The next number of the stage's counter: distinct and increasing under any concurrency. */
  nextSequence(stage: string): Promise<number>;
  /** The stage's pin, read consistently; undefined when the stage is not pinned. */
  pinOf(stage: string): Promise<StagePin | undefined>;
};
