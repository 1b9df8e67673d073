/** How one subscriber's received ids differ from what the database holds for the room. */
export type NoteAudit = {
  lost: number[];
  duplicated: number[];
  /** Ids that arrived after a higher id (resume must keep id order). */
  outOfOrder: number[];
};

/** Compares the ids a subscriber received, in arrival order, with every id stored for the room. */
export function auditNotes(stored: readonly number[], received: readonly number[]): NoteAudit {
  const seen = new Set<number>();
  const duplicated: number[] = [];
  const outOfOrder: number[] = [];
  let highest = 0;
  for (const id of received) {
    if (seen.has(id)) duplicated.push(id);
    else if (id < highest) outOfOrder.push(id);
    seen.add(id);
    highest = Math.max(highest, id);
  }
  return { lost: stored.filter((id) => !seen.has(id)), duplicated, outOfOrder };
}
