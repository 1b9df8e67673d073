import type { PushEvent } from "../model/push-event.ts";
import type { StageConfig } from "../model/stage-config.ts";
import { type DeliveryRefusal, RefusalReason } from "./delivery-refusal.ts";

/** A repository as a service declares it: its full name and its numeric id. */
export type GitHubRepository = { fullName: string; id: number };

/**
 * Routes a push by the repository it names: the lanes of every service declared in that
 * repository (id and name both match), or a refusal when no service is: one webhook serves
 * many repositories, and an unknown one builds nothing however it was signed.
 */
export function routePush(
  push: PushEvent,
  config: StageConfig,
): { kind: "routed"; lanes: StageConfig["stages"] } | DeliveryRefusal {
  const lanes = config.stages.filter(
    (lane) => foreignRepository(push, lane.repository) === undefined,
  );
  if (lanes.length > 0) return { kind: "routed", lanes };
  const { id, full_name: fullName } = push.repository;
  const known = [
    ...new Set(config.stages.map((l) => `${l.repository.fullName} (id ${l.repository.id})`)),
  ];
  return {
    kind: "refused",
    reason: RefusalReason.foreignRepository,
    detail:
      `no service is declared in ${fullName} (id ${id}); this webhook builds ` +
      `${known.join(", ")}: declare a service for it, or point its hook elsewhere`,
  };
}

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
