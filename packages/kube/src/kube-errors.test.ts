import { ApiException } from "@kubernetes/client-node";
import { ConflictError, RefusedError, TransientError } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { KubeApiError } from "./api-connection.ts";
import { translateKubeError } from "./kube-errors.ts";

const api = (code: number) => new ApiException(code, "HTTP error", {}, {});

describe("translateKubeError", () => {
  it("turns 409 into ConflictError", () => {
    expect(translateKubeError("patch chat/web", api(409))).toBeInstanceOf(ConflictError);
  });

  it.each([408, 429, 500, 503, 504])("turns %i into TransientError", (code) => {
    expect(translateKubeError("get chat/web", api(code))).toBeInstanceOf(TransientError);
  });

  it.each([400, 401, 403, 404, 422])("turns %i into RefusedError with the status", (code) => {
    expect(translateKubeError("get chat/web", api(code))).toMatchObject({
      name: "RefusedError",
      status: code,
    });
  });

  it("reads the watch's statusCode", () => {
    const error = Object.assign(new Error("Forbidden"), { statusCode: 403 });

    expect(translateKubeError("watch chat/web", error)).toBeInstanceOf(RefusedError);
  });

  it("calls a reset connection transient, however deep the cause", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const error = new TypeError("fetch failed", {
      cause: new Error("other side closed", { cause: reset }),
    });

    expect(translateKubeError("get chat/web", error)).toBeInstanceOf(TransientError);
  });

  it("reads the deployer connection's KubeApiError status", () => {
    expect(
      translateKubeError("patch chat/web", new KubeApiError("PATCH /x", 409, {})),
    ).toBeInstanceOf(ConflictError);
    expect(translateKubeError("get chat/web", new KubeApiError("GET /x", 403, {}))).toMatchObject({
      name: "RefusedError",
      status: 403,
    });
  });

  it.each([
    "ERR_HTTP2_STREAM_ERROR",
    "ERR_HTTP2_SESSION_ERROR",
    "ERR_HTTP2_STREAM_CANCEL",
    "ERR_HTTP2_GOAWAY_SESSION",
    "ERR_HTTP2_INVALID_SESSION",
  ])("calls an HTTP/2 stream or session that broke (%s) transient", (code) => {
    const error = Object.assign(new Error("Stream closed with error code NGHTTP2_REFUSED_STREAM"), {
      code,
    });

    expect(translateKubeError("get chat/web", error)).toBeInstanceOf(TransientError);
  });

  it("calls a request deadline transient", () => {
    const error = new DOMException("The operation was aborted due to timeout", "TimeoutError");

    expect(translateKubeError("get chat/web", error)).toBeInstanceOf(TransientError);
  });

  it("passes a programming error through unchanged", () => {
    const bug = new RangeError("bad");

    expect(translateKubeError("get chat/web", bug)).toBe(bug);
  });
});
