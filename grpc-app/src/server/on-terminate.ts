import type { Logger } from "../log/logger.ts";

/**
 * On SIGTERM (Kubernetes) or SIGINT (Ctrl-C), runs every stop function once, together, then
 * exits 0; exits 1 if one fails. A second signal exits at once.
 */
export function onTerminate(logger: Logger, stops: Array<() => Promise<void>>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn("process.exit.forced", { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info("process.terminating", { signal });
    Promise.all(stops.map((fn) => fn())).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("process.stop.failed", { error });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
