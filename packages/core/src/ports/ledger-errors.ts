import { githubRedeliveryWindowMs } from "./ledger.ts";

/** Thrown when a write names a deployment the ledger does not hold. */
export class DeploymentNotFoundError extends Error {
  override readonly name = "DeploymentNotFoundError";
  constructor(stage: string, sequence: number, options?: ErrorOptions) {
    super(`no deployment ${stage}#${sequence} in the ledger`, options);
  }
}

/** Thrown when a sequence is asked for a delivery that was never claimed. */
export class UnclaimedDeliveryError extends Error {
  override readonly name = "UnclaimedDeliveryError";
  constructor(deliveryId: string, options?: ErrorOptions) {
    super(`delivery ${deliveryId} has not been claimed`, options);
  }
}

/**
 * Refuses a claim that could expire inside GitHub's redelivery window: a redelivery after
 * expiry would build the same push twice.
 */
export function assertRetention(claimedAt: Date, retainUntil: Date): void {
  if (retainUntil.getTime() - claimedAt.getTime() <= githubRedeliveryWindowMs) {
    throw new RangeError(
      "delivery records must outlive GitHub's 3-day redelivery window; raise retainUntil",
    );
  }
}
