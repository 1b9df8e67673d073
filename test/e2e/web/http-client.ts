/** A tiny cookie-keeping HTTP client for API tests, sending what a same-origin page sends. */
export type Answer = { status: number; headers: Headers; json: Record<string, unknown> };

export class PageClient {
  readonly base: string;
  cookie = "";
  csrfToken = "";

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
    const setCookie = response.headers.get("set-cookie");
    if (setCookie !== null) this.cookie = setCookie.split(";")[0] ?? "";
    return answer(response);
  }

  async login(username: string, password: string): Promise<Answer> {
    const result = await this.post("/api/login", { username, password });
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
