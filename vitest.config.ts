import { defineConfig } from "vitest/config";

// Three tiers, each runnable alone (`vitest run --project unit`). Unit tests sit beside
// their code and never touch the network; integration and e2e run against real servers
// on 127.0.0.1 that the test command provisions.
const unitTests = [
  "packages/**/*.test.ts",
  "functions/**/*.test.ts",
  "grpc-app/src/**/*.test.ts",
  "scripts/**/*.test.ts",
];
const integrationTests = [
  "test/integration/**/*.test.ts",
  "test/kube/**/*.test.ts",
  "**/*.int.test.ts",
];
const e2eTests = ["test/e2e/**/*.test.ts"];
const excluded = ["**/node_modules/**", ".sst/**"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: unitTests,
          exclude: [...excluded, "**/*.int.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: integrationTests,
          exclude: excluded,
          globalSetup: ["test/kube/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: e2eTests,
          exclude: excluded,
          globalSetup: ["test/kube/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
