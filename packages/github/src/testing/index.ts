export { usedOperations } from "./github-openapi.ts";
export {
  createGitHubStandIn,
  type GitHubStandIn,
  type GitHubStandInOptions,
  type RecordedCall,
} from "./github-stand-in.ts";
