import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The workload's own tests, without the Kubernetes control plane the repository-wide
// integration tier starts: what CodeBuild runs (grpc-app/buildspec.yml) before it builds.
export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    include: ["grpc-app/src/**/*.test.ts", "test/integration/chat/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
