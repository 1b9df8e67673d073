// Test support for anything that needs a ledger: never imported by production code.
export { deploymentRecord, describeLedgerContract } from "./ledger-contract.ts";
export { createMemoryLedger, type MemoryLedger } from "./memory-ledger.ts";
export {
  digestImage,
  finishedBuildOf,
  type SeedOptions,
  seedDeployment,
} from "./seed-deployment.ts";
