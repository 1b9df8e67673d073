import type { ServiceDeclaration } from "@slipway/core";

/**
 * A service as its file in infra/services/ declares it: core's ServiceDeclaration, except
 * that a service kept in the repository Slipway is deployed from may name it
 * `"this-repository"` (SLIPWAY_GITHUB_REPOSITORY and SLIPWAY_GITHUB_REPOSITORY_ID at deploy
 * time), so a fork declares nothing twice. Checked by zod when the stage loads it.
 */
export type ServiceFile = Omit<ServiceDeclaration, "repository"> & {
  repository: ServiceDeclaration["repository"] | "this-repository";
};
