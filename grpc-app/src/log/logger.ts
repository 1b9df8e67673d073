/** Severity, lowest first. */
export const levels = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof levels)[number];

export type LogFields = Record<string, unknown>;

/** One JSON object per line: `{"time","level","event",...fields}`. */
export type Logger = {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
};

export type LogEntry = LogFields & { time: string; level: Level; event: string };

// Keys whose values are credentials: never written, whatever a caller passes.
const secretKey = /pass(word)?|token|secret|authorization|cookie|hash|database_?url/i;

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (secretKey.test(key)) out[key] = "[redacted]";
    else if (value instanceof Error) out[key] = { name: value.name, message: value.message };
    else out[key] = value;
  }
  return out;
}

/**
 * A tiny structured logger. `sink` receives each entry (stdout by default); tests pass their
 * own to await events instead of sleeping.
 */
export function createLogger(
  options: { level?: Level; sink?: (entry: LogEntry) => void; fields?: LogFields } = {},
): Logger {
  const min = levels.indexOf(options.level ?? "info");
  const sink = options.sink ?? ((entry) => process.stdout.write(`${JSON.stringify(entry)}\n`));
  const base = options.fields ?? {};
  const emit = (level: Level, event: string, fields: LogFields = {}) => {
    if (levels.indexOf(level) < min) return;
    sink({ time: new Date().toISOString(), level, event, ...redact({ ...base, ...fields }) });
  };
  return {
    debug: (event, fields) => emit("debug", event, fields),
    info: (event, fields) => emit("info", event, fields),
    warn: (event, fields) => emit("warn", event, fields),
    error: (event, fields) => emit("error", event, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
