import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFinishedPattern, buildStartedPattern } from "../../../infra/patterns.ts";
import failed from "../../events/codebuild/failed.json" with { type: "json" };
import inProgress from "../../events/codebuild/in-progress.json" with { type: "json" };
import stopped from "../../events/codebuild/stopped.json" with { type: "json" };
import succeeded from "../../events/codebuild/succeeded.json" with { type: "json" };
import {
  type EventRuler,
  eventRulerAvailable,
  startEventRuler,
} from "../../harness/event-ruler.ts";
import { serverAvailable } from "../../harness/requirements.ts";

const project = succeeded.detail["project-name"];
// Two services, two projects: the rule follows both, and nothing else.
const pattern = buildFinishedPattern([project, "slipway-dev-GreeterBuild"]);

describe.runIf(serverAvailable("AWS Event Ruler", eventRulerAvailable()))(
  "the build-finished rule, checked by AWS Event Ruler",
  () => {
    let ruler: EventRuler;
    beforeAll(async () => {
      ruler = await startEventRuler();
    });
    afterAll(async () => {
      await ruler?.stop();
    });

    it.each([
      ["SUCCEEDED", succeeded],
      ["FAILED", failed],
      ["STOPPED", stopped],
    ])("starts the deploy function for a %s build of this project", async (_, event) => {
      expect(await ruler.matches(pattern, event)).toBe(true);
    });

    it("starts the deploy function for the other service's finished builds too", async () => {
      const greeter = structuredClone(succeeded);
      greeter.detail["project-name"] = "slipway-dev-GreeterBuild";
      expect(await ruler.matches(pattern, greeter)).toBe(true);
    });

    it("ignores builds still in progress", async () => {
      expect(await ruler.matches(pattern, inProgress)).toBe(false);
    });

    it("ignores another project's finished builds", async () => {
      const other = structuredClone(succeeded);
      other.detail["project-name"] = "someone-elses-project";
      expect(await ruler.matches(pattern, other)).toBe(false);
    });

    it("ignores look-alike events from other sources", async () => {
      const forged = structuredClone(succeeded);
      forged.source = "custom.codebuild";
      expect(await ruler.matches(pattern, forged)).toBe(false);
    });

    it("tells the deploy function about this project's starting builds only", async () => {
      const started = buildStartedPattern([project, "slipway-dev-GreeterBuild"]);
      expect(await ruler.matches(started, inProgress)).toBe(true);
      expect(await ruler.matches(started, succeeded)).toBe(false);
      const other = structuredClone(inProgress);
      other.detail["project-name"] = "someone-elses-project";
      expect(await ruler.matches(started, other)).toBe(false);
    });

    it("rejects a malformed pattern instead of matching everything", async () => {
      await expect(
        ruler.matches({ detail: { "build-status": "SUCCEEDED" } }, succeeded),
      ).rejects.toThrow(/Event Ruler/);
    });
  },
);
