import type { ImageRef, ImageRegistry } from "@slipway/core";

/**
 * An image registry in memory: it holds what was pushed (`repository@digest`), or with
 * `holdsEverything` every image but those deleted, for suites about something else.
 */
export type MemoryRegistry = ImageRegistry & {
  push(...images: string[]): void;
  delete(image: string): void;
  /** Every image asked about, as `repository@digest`, in order. */
  lookups: string[];
  /** While set, every lookup rejects with this error. */
  outage: Error | undefined;
};

export function createMemoryRegistry(options: { holdsEverything?: boolean } = {}): MemoryRegistry {
  const pushed = new Set<string>();
  const deleted = new Set<string>();
  const registry: MemoryRegistry = {
    lookups: [],
    outage: undefined,
    push(...images) {
      for (const image of images) {
        pushed.add(image);
        deleted.delete(image);
      }
    },
    delete(image) {
      pushed.delete(image);
      deleted.add(image);
    },
    async holds(image: ImageRef) {
      const name = `${image.repository}@${image.digest}`;
      registry.lookups.push(name);
      if (registry.outage) throw registry.outage;
      return pushed.has(name) || (options.holdsEverything === true && !deleted.has(name));
    },
  };
  return registry;
}
