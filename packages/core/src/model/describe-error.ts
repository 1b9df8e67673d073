/** An error as words safe to log: name and message, never request headers or bodies. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
