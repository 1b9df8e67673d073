export { createDynamoLedger, type DynamoLedger } from "./dynamo-ledger.ts";
export type { LedgerInspection } from "./ledger-inspection.ts";
export { createLedgerTable, ledgerTable } from "./ledger-table.ts";
