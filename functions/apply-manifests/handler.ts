import { Logger } from "@aws-lambda-powertools/logger";
import { wireApplyManifests } from "@slipway/wiring";
import { createApplyManifestsHandler } from "./apply-manifests-handler.ts";
import { readApplyManifestsConfig } from "./config.ts";

const logger = new Logger({ serviceName: "slipway-apply-manifests" });
const settings = readApplyManifestsConfig(process.env);

/**
 * `sst deploy` → the stage's objects applied inside its cluster, from inside the VPC (infra
 * invokes it through `aws.lambda.Invocation`); `sst remove` → deleted, finalizers awaited.
 */
export const handler = createApplyManifestsHandler({ ...wireApplyManifests(settings), logger });
