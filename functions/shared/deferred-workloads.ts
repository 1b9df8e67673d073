import type { Workloads } from "@slipway/core";

/**
 * Workloads whose client is made on first use (DescribeCluster is a network call, so it
 * cannot run while the module loads) and then kept for the container's life. A failed
 * connect is not kept: the next call tries again.
 */
export function deferredWorkloads(connect: () => Promise<Workloads>): Workloads {
  let connected: Promise<Workloads> | undefined;
  const get = () => {
    connected ??= connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    return connected;
  };
  return {
    read: async (target) => (await get()).read(target),
    setImage: async (target, change) => (await get()).setImage(target, change),
    revisions: async (target) => (await get()).revisions(target),
    async *watch(target, signal) {
      yield* (await get()).watch(target, signal);
    },
  };
}
