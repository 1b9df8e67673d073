/** The manifests cannot be applied as they are; each line says which object and why. */
export class ManifestError extends Error {
  override readonly name = "ManifestError";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`The cluster objects were not applied:\n- ${problems.join("\n- ")}`);
    this.problems = problems;
  }
}

/** Objects still terminating at the deadline (finalizers such as a load balancer's cleanup). */
export class StillTerminatingError extends Error {
  override readonly name = "StillTerminatingError";
  readonly objects: string[];
  constructor(objects: string[]) {
    super(`Still terminating, run the removal again: ${objects.join(", ")}`);
    this.objects = objects;
  }
}
