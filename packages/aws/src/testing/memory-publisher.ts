import { LifecycleDetail, type LifecyclePublisher, type PublishOutcome } from "@slipway/core";

export type MemoryPublisher = LifecyclePublisher & {
  /** Every detail published, in order, each parsed with the schema subscribers use. */
  readonly published: LifecycleDetail[];
  /** Makes the next `count` details fail (as a dropped entry would), for failure tests. */
  failNext(count: number): void;
};

/** A lifecycle publisher in memory, for unit tests: it keeps what it is given. */
export function createMemoryPublisher(): MemoryPublisher {
  const published: LifecycleDetail[] = [];
  let failing = 0;
  return {
    published,
    failNext(count) {
      failing = count;
    },
    async publish(details): Promise<PublishOutcome> {
      const outcome = { published: 0, failed: 0 };
      for (const detail of details) {
        if (failing > 0) {
          failing--;
          outcome.failed++;
          continue;
        }
        published.push(LifecycleDetail.parse(detail));
        outcome.published++;
      }
      return outcome;
    },
  };
}
