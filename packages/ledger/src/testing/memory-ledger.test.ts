import { createMemoryLedger, describeLedgerContract } from "@slipway/ledger/testing";

describeLedgerContract("in-memory", async () => createMemoryLedger());
