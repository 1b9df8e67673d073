/**
 * Branch patterns as GitHub writes them in branch protection and workflow filters:
 * `*` matches within one path segment, `**` across segments, `?` one character.
 * Everything else is literal, so `release/v1.2` does not treat `.` as a wildcard.
 */
export function branchGlob(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern.charAt(i);
    if (char === "*" && pattern.charAt(i + 1) === "*") {
      source += ".*";
      i++;
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

/** Whether `branch` (without `refs/heads/`) matches any of the glob `patterns`. */
export function matchesAnyBranch(branch: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => branchGlob(pattern).test(branch));
}
