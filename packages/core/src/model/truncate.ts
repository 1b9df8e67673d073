/** Cuts text to `max` characters with an ellipsis (GitHub and annotations have limits). */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
