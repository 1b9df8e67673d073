// Test support: Deployments in memory, behind the same Workloads port as the Kubernetes adapter.
export {
  createMemoryWorkloads,
  type MemoryWorkloads,
  type RolloutBehaviour,
} from "./memory-workloads.ts";
