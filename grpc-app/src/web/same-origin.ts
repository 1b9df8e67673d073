/** What a browser says about where a request comes from. */
export type OriginHeaders = {
  readonly origin?: string | undefined;
  readonly host?: string | undefined;
  readonly "sec-fetch-site"?: string | undefined;
};

export type OriginVerdict = { kind: "same-origin" } | { kind: "cross-origin"; reason: string };

/**
 * The second CSRF line, beside the token: a state-changing request must come from this
 * page. Browsers send `Origin` on every POST fetch and `Sec-Fetch-Site` on every request,
 * and page scripts can set neither. The host is compared, not the scheme, because TLS ends
 * at the load balancer and this server sees plain http.
 * @see https://developer.mozilla.org/docs/Web/HTTP/Headers/Sec-Fetch-Site
 */
export function checkSameOrigin(headers: OriginHeaders): OriginVerdict {
  const site = headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") {
    return { kind: "cross-origin", reason: `Sec-Fetch-Site is ${site}` };
  }
  const { origin, host } = headers;
  if (origin === undefined) {
    return site === "same-origin"
      ? { kind: "same-origin" }
      : { kind: "cross-origin", reason: "no Origin header" };
  }
  if (host === undefined) return { kind: "cross-origin", reason: "no Host header" };
  return originHost(origin) === host.toLowerCase()
    ? { kind: "same-origin" }
    : { kind: "cross-origin", reason: "Origin differs from Host" };
}

function originHost(origin: string): string | undefined {
  if (!URL.canParse(origin)) return undefined;
  return new URL(origin).host.toLowerCase();
}
