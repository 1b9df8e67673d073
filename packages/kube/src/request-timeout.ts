import {
  type ConfigurationOptions,
  Observable,
  type RequestContext,
} from "@kubernetes/client-node";

/**
 * Options that give one API call a deadline. client-node sets none, so a hung connection
 * would hold the Lambda until its own timeout; this way it fails as a TimeoutError, which
 * is transient and retried.
 */
export function withTimeout(ms: number, options: ConfigurationOptions = {}): ConfigurationOptions {
  return {
    ...options,
    middleware: [
      ...(options.middleware ?? []),
      {
        pre: (context: RequestContext) => {
          context.setSignal(AbortSignal.timeout(ms));
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}
