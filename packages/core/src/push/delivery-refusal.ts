/** Why a request was refused, at the edge or by the push's trust checks. */
export const RefusalReason = {
  /** Larger than the handler accepts; nothing was verified or parsed. */
  tooLarge: "too-large",
  /** `X-Hub-Signature-256` is missing or does not match the body. */
  badSignature: "bad-signature",
  /** Signed, but not a delivery Slipway can read: headers, JSON or the push payload. */
  malformed: "malformed",
  /** Validly signed, but for another repository than the one this stage builds. */
  foreignRepository: "foreign-repository",
  /** This exact body (its SHA-256) was already delivered under another delivery id. */
  replayed: "replayed",
  /** Older, by the time GitHub signed into the body, than the stage's newest accepted push. */
  stale: "stale",
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/**
 * A refused request, as expected an outcome as a tag push. `detail` is safe to show in
 * GitHub's delivery log: field paths, names and times, never the payload's other values.
 * `part` says, for `malformed`, whether the request (headers, JSON), its encoding (a form
 * instead of JSON) or the push payload was at fault.
 */
export type DeliveryRefusal = {
  kind: "refused";
  reason: RefusalReason;
  part?: "request" | "encoding" | "payload";
  detail: string;
};
