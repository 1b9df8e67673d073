export { createMemoryLedger } from "@slipway/core/testing";
export { createDynamoLedger } from "./dynamo-ledger.ts";
export { LedgerUnavailableError } from "./ledger-error.ts";
export { createLedgerTable, ledgerTable } from "./ledger-table.ts";
