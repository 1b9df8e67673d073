import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import {
  type LifecycleDetail,
  type LifecyclePublisher,
  lifecycleDetailType,
  lifecycleEventSource,
  type PublishOutcome,
} from "@slipway/core";

/** EventBridge rejects an entry over 256 KB (detail, detail-type, source and resources together). */
export const maxEntryBytes = 256 * 1024;
/** PutEvents takes at most 10 entries per call. */
const maxEntriesPerCall = 10;

export type PublisherOptions = {
  client: EventBridgeClient;
  busName: string;
  /** Attempts per entry, including the first; failed entries are retried, never the whole batch. */
  attempts?: number;
  /** Called for each entry that could not be published after every attempt (log + metric). */
  onDropped(detail: LifecycleDetail, reason: string): void;
  sleep?: (ms: number) => Promise<void>;
};

/**
 * Publishes lifecycle events to the Slipway bus. PutEvents can fail per entry while the call
 * succeeds (`FailedEntryCount` > 0); only those entries are retried, with backoff. Nothing
 * here throws: a publish that still fails is reported through `onDropped`, never by failing
 * the deployment that caused it.
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
export function createEventBridgePublisher(options: PublisherOptions): LifecyclePublisher {
  const attempts = options.attempts ?? 4;
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));

  return {
    async publish(details) {
      const outcome: PublishOutcome = { published: 0, failed: 0 };
      const pending: Array<{ detail: LifecycleDetail; entry: PutEventsRequestEntry }> = [];
      for (const detail of details) {
        const entry = toEntry(detail, options.busName);
        if (entryBytes(entry) > maxEntryBytes) {
          outcome.failed++;
          options.onDropped(detail, `entry exceeds ${maxEntryBytes} bytes`);
        } else pending.push({ detail, entry });
      }
      let remaining = pending;
      let lastReason = new Map<LifecycleDetail, string>();
      for (let attempt = 1; remaining.length > 0 && attempt <= attempts; attempt++) {
        if (attempt > 1) await sleep(100 * 2 ** (attempt - 2) + Math.random() * 50);
        const retry: typeof remaining = [];
        lastReason = new Map();
        for (let i = 0; i < remaining.length; i += maxEntriesPerCall) {
          const batch = remaining.slice(i, i + maxEntriesPerCall);
          try {
            const response = await options.client.send(
              new PutEventsCommand({ Entries: batch.map((item) => item.entry) }),
            );
            // Result entries line up with request entries by index.
            batch.forEach((item, index) => {
              const result = response.Entries?.[index];
              if (result?.EventId && !result.ErrorCode) outcome.published++;
              else {
                retry.push(item);
                lastReason.set(
                  item.detail,
                  `${result?.ErrorCode ?? "NoResult"}: ${result?.ErrorMessage ?? ""}`,
                );
              }
            });
          } catch (error) {
            for (const item of batch) {
              retry.push(item);
              lastReason.set(
                item.detail,
                error instanceof Error ? `${error.name}: ${error.message}` : String(error),
              );
            }
          }
        }
        remaining = retry;
      }
      for (const item of remaining) {
        outcome.failed++;
        options.onDropped(item.detail, lastReason.get(item.detail) ?? "unknown");
      }
      return outcome;
    },
  };
}

function toEntry(detail: LifecycleDetail, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: lifecycleEventSource,
    DetailType: lifecycleDetailType,
    Detail: JSON.stringify(detail),
    Time: new Date(detail.at),
  };
}

/** Size as EventBridge counts it: UTF-8 bytes of Source, DetailType, Detail and Resources. */
function entryBytes(entry: PutEventsRequestEntry): number {
  const parts = [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])];
  return parts.reduce((sum, part) => sum + Buffer.byteLength(part ?? "", "utf8"), 0);
}
