export { createFakeBuilds, type FakeBuilds } from "./fake-builds.ts";
export { createFakeGitHub, type FakeGitHub } from "./fake-github.ts";
export { createMemoryLedger } from "./memory-ledger.ts";
