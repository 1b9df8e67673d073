import { RefusedError, TransientError } from "@slipway/core";
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";
import type { SdkError } from "@smithy/types";

/**
 * Turns what an AWS SDK call throws into core's errors, as the Kubernetes adapter does, so
 * that core treats DynamoDB and CodeBuild like the cluster: throttling, 5xx, timeouts and
 * dropped connections become TransientError (core's retryTransient retries them); any other
 * answer from AWS becomes RefusedError with its HTTP status. The classification is the SDK's
 * own (@smithy/core's retry rules), not a list kept here. Anything else (a bug) passes as it is.
 */
export function translateAwsError(operation: string, error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const sdk = error as SdkError;
  if (isThrottlingError(sdk) || isTransientError(sdk) || isServerError(sdk)) {
    return new TransientError(operation, { cause: error });
  }
  const answer = error as { $fault?: unknown; $metadata?: { httpStatusCode?: number } };
  if (answer.$fault === undefined && answer.$metadata?.httpStatusCode === undefined) return error;
  return new RefusedError(operation, answer.$metadata?.httpStatusCode ?? 400, { cause: error });
}
