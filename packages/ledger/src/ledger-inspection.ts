import type { Lane, StagePin } from "@slipway/core";

/**
 * What both ledgers offer besides core's port, for their contract tests and operator tools:
 * core never calls these, so they are not part of the port.
 */
export type LedgerInspection = {
  /** The next number of the lane's counter: distinct and increasing under any concurrency. */
  nextSequence(lane: Lane): Promise<number>;
  /** The lane's pin, read consistently; undefined when the lane is not pinned. */
  pinOf(lane: Lane): Promise<StagePin | undefined>;
};
