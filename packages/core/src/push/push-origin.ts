import type { PushEvent } from "../model/push-event.ts";
import { type DeliveryRefusal, RefusalReason } from "./delivery-refusal.ts";

/** The one repository a stage builds, as the stage's settings name it. */
export type GitHubRepository = { fullName: string; id: number };

/**
 * Refuses a push that is not this repository's: its id and its full name must both match
 * (a renamed or transferred repository keeps its id; a new repository under the old name gets
 * another one). An organisation hook or a reused secret signs other repositories' pushes too.
 */
export function foreignRepository(
  push: PushEvent,
  repository: GitHubRepository,
): DeliveryRefusal | undefined {
  const { id, full_name: fullName } = push.repository;
  // GitHub's owner and repository names are case-insensitive.
  if (id === repository.id && fullName.toLowerCase() === repository.fullName.toLowerCase()) {
    return undefined;
  }
  return {
    kind: "refused",
    reason: RefusalReason.foreignRepository,
    detail:
      `this webhook builds ${repository.fullName} (id ${repository.id}), ` +
      `not ${fullName} (id ${id}): point the other repository's hook elsewhere`,
  };
}

/**
 * When GitHub received the push, as it signed it into the body (`repository.pushed_at`,
 * epoch seconds in push events). A new force-push of an old commit gets a new time; a
 * replay of an old body keeps its old one.
 */
export function pushedAt(push: PushEvent): Date {
  const value = push.repository.pushed_at;
  return typeof value === "number" ? new Date(value * 1000) : new Date(value);
}

/** Refuses a push older than the stage's newest accepted push (equal times are allowed). */
export function stalePush(pushed: Date, newest: string | undefined): DeliveryRefusal | undefined {
  if (newest === undefined || pushed.getTime() >= new Date(newest).getTime()) return undefined;
  return {
    kind: "refused",
    reason: RefusalReason.stale,
    detail:
      `pushed at ${pushed.toISOString()}, before the stage's newest accepted push ` +
      `(${newest}): an old push never replaces a newer one`,
  };
}
