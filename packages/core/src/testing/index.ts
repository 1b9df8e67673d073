export { createFakeBuilds, type FakeBuilds } from "./fake-builds.ts";
export { createFakeGitHub, type FakeGitHub } from "./fake-github.ts";
export { createMemoryLedger } from "./memory-ledger.ts";
export { createMemoryPublisher, type MemoryPublisher } from "./memory-publisher.ts";
export {
  createMemoryWorkloads,
  type MemoryWorkloads,
  type RolloutBehaviour,
} from "./memory-workloads.ts";
export { digestImage, finishedBuildOf, seedDeployment } from "./seed-deployment.ts";
