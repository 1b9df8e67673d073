// Test support: stand-ins for CodeBuild (builds), ECR (image registry) and EventBridge (lifecycle publisher).
export { createFakeBuilds, type FakeBuilds } from "./fake-builds.ts";
export { createMemoryPublisher, type MemoryPublisher } from "./memory-publisher.ts";
export { createMemoryRegistry, type MemoryRegistry } from "./memory-registry.ts";
