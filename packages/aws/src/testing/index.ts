// Test support: stand-ins for CodeBuild (builds) and EventBridge (lifecycle publisher).
export { createFakeBuilds, type FakeBuilds } from "./fake-builds.ts";
export { createMemoryPublisher, type MemoryPublisher } from "./memory-publisher.ts";
