import { createMemoryLedger } from "@slipway/core/testing";
import { describeLedgerContract } from "./ledger-contract.ts";

describeLedgerContract("in-memory", async () => createMemoryLedger());
