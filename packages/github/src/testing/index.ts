// Test support: GitHub's contract served in-process, and a recording fake of the reporter port.
export { createFakeGitHub, type FakeGitHub } from "./fake-github.ts";
export { usedOperations } from "./github-openapi.ts";
export {
  createGitHubStandIn,
  type GitHubStandIn,
  type GitHubStandInOptions,
  type RecordedCall,
} from "./github-stand-in.ts";
