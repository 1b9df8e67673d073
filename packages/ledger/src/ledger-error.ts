/**
 * DynamoDB failed for a reason other than a lost condition (throttling, network, access).
 * Vendor exception names stop here; callers see which ledger operation failed.
 */
export class LedgerUnavailableError extends Error {
  override readonly name = "LedgerUnavailableError";
  readonly operation: string;
  constructor(operation: string, cause: unknown) {
    super(`ledger ${operation} failed`, { cause });
    this.operation = operation;
  }
}
