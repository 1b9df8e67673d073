/** A tiny cookie-keeping HTTP client for API tests, sending what a same-origin page sends. */
export type Answer = { status: number; headers: Headers; json: Record<string, unknown> };

export class PageClient {
  readonly base: string;
  /** The cookie jar: name → value, as the browser keeps it (paths aside). */
  readonly cookies = new Map<string, string>();
  csrfToken = "";

  /** The Cookie header the browser would send. */
  get cookie(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** Replaces the jar with one Cookie header's worth (a copied or forged cookie). */
  set cookie(header: string) {
    this.cookies.clear();
    for (const pair of header.split(";")) {
      const eq = pair.indexOf("=");
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  cookieValue(name: string): string {
    return this.cookies.get(name) ?? "";
  }

  constructor(base: string) {
    this.base = base.replace(/\/$/, "");
  }

  /** What a fetch() from the page itself carries. */
  sameOriginHeaders(): Record<string, string> {
    const headers: Record<string, string> = {
      origin: this.base,
      "sec-fetch-site": "same-origin",
      "content-type": "application/json",
    };
    if (this.cookie !== "") headers.cookie = this.cookie;
    if (this.csrfToken !== "") headers["x-csrf-token"] = this.csrfToken;
    return headers;
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const cookie: Record<string, string> = this.cookie === "" ? {} : { cookie: this.cookie };
    return answer(await fetch(this.base + path, { headers: { ...cookie, ...headers } }));
  }

  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(this.base + path, {
      method: "POST",
      headers: { ...this.sameOriginHeaders(), ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = ""] = setCookie.split(";");
      const eq = pair.indexOf("=");
      const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
      if (/Max-Age=0(;|$)/.test(setCookie) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return answer(response);
  }

  async login(username: string, password: string): Promise<Answer> {
    const result = await this.post("/api/login", { username, password });
    if (typeof result.json.csrfToken === "string") this.csrfToken = result.json.csrfToken;
    return result;
  }

  /** What the page does before its access token expires. */
  async refresh(): Promise<Answer> {
    const result = await this.post("/api/session/refresh", "");
    if (typeof result.json.csrfToken === "string") this.csrfToken = result.json.csrfToken;
    return result;
  }
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  const json = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  return { status: response.status, headers: response.headers, json };
}

export type ServerEvent = { id?: string; event: string; data: string };

/**
 * Opens an event stream and collects events until `until` says stop; then cancels. The
 * stream is read as it arrives, so a test awaits events instead of sleeping.
 */
export async function collectEvents(
  url: string,
  headers: Record<string, string>,
  until: (events: ServerEvent[]) => boolean,
): Promise<{ status: number; events: ServerEvent[] }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: ServerEvent[] = [];
  if (response.body === null || response.status !== 200) {
    return { status: response.status, events };
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = parseFrame(buffer.slice(0, end));
        if (frame !== undefined) events.push(frame);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    controller.abort();
  }
  return { status: response.status, events };
}

function parseFrame(frame: string): ServerEvent | undefined {
  const event: ServerEvent = { event: "message", data: "" };
  let hasData = false;
  for (const line of frame.split("\n")) {
    const colon = line.indexOf(":");
    if (colon === 0) continue;
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") event.id = value;
    if (field === "event") event.event = value;
    if (field === "data") {
      event.data = hasData ? `${event.data}\n${value}` : value;
      hasData = true;
    }
  }
  return hasData ? event : undefined;
}
