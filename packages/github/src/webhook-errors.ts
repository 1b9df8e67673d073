/** The body is larger than the handler accepts; nothing was verified or parsed (413). */
export class PayloadTooLargeError extends Error {
  override readonly name = "PayloadTooLargeError";
  constructor(limitBytes: number) {
    super(`the body is larger than ${limitBytes} bytes`);
  }
}

/** The X-Hub-Signature-256 header is missing or does not match the body (401). */
export class InvalidSignatureError extends Error {
  override readonly name = "InvalidSignatureError";
  constructor(reason: "missing" | "mismatch") {
    super(
      reason === "missing"
        ? "no X-Hub-Signature-256 header"
        : "X-Hub-Signature-256 does not match the body",
    );
  }
}

/** Signed, but not a delivery Slipway can read: headers or JSON are malformed (400). */
export class MalformedDeliveryError extends Error {
  override readonly name = "MalformedDeliveryError";
}
