import type { WorkloadTarget } from "@slipway/core";
import { kubectl } from "../../harness/kubectl.ts";
import { fakeNodeZones } from "../../kube/fake-nodes.ts";

/**
 * What can happen around one deploy of the restores-and-operators drill: a restore faulted,
 * a person's kubectl edit, or the operator CLI's rollback, pin and unpin (through core's
 * operate functions). `plain` leaves the deploy alone.
 */
export const Twist = {
  plain: "plain",
  /** The build's digest is not in the stage's registry (never pushed, or deleted since). */
  unpushed: "unpushed",
  /** The API server goes away as the restore starts: the run throws and Lambda retries it. */
  outageInRestore: "outage-in-restore",
  /** The nodes are cordoned and the pods gone as the restore starts: the restore cannot roll out. */
  blockedRestore: "blocked-restore",
  undoInRestore: "undo-in-restore",
  setImageInRestore: "set-image-in-restore",
  undo: "undo",
  setImage: "set-image",
  pause: "pause",
  resume: "resume",
  scale: "scale",
  rollback: "rollback",
  pin: "pin",
  pinRollback: "pin-rollback",
  unpin: "unpin",
  unpinDeploy: "unpin-deploy",
} as const;
export type Twist = (typeof Twist)[keyof typeof Twist];

/** When the twist happens: before the event, as the build starts deploying or rolling back, or after. */
export type TwistAt = "before" | "deploying" | "rolling_back" | "after";

export type DrillStep = { bad: boolean; twist: Twist; at: TwistAt; target: number };

const restoreTwists = [
  Twist.outageInRestore,
  Twist.blockedRestore,
  Twist.undoInRestore,
  Twist.setImageInRestore,
];
const handTwists = [Twist.undo, Twist.setImage, Twist.pause, Twist.scale, Twist.rollback];

/**
 * The steps of one drill: `rounds` times every twist once, in an order the seed picks; a pin
 * is followed by a deploy it holds and an unpin, a pause by a deploy and a resume.
 */
export function planSteps(rounds: number, random: () => number): DrillStep[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const at = (): TwistAt => pick(["before", "deploying", "deploying", "after"] as const);
  const blocks: DrillStep[][] = [];
  for (let round = 0; round < rounds; round++) {
    const step = (twist: Twist, when: TwistAt, bad = random() < 0.3): DrillStep => ({
      bad,
      twist,
      at: when,
      target: Math.floor(random() * 2),
    });
    for (const twist of restoreTwists) blocks.push([step(twist, "rolling_back", true)]);
    for (const twist of handTwists) {
      blocks.push(
        twist === Twist.pause
          ? [step(twist, at()), step(Twist.plain, "before"), step(Twist.resume, at())]
          : [step(twist, at())],
      );
    }
    for (const twist of [Twist.pin, Twist.pinRollback]) {
      const release = random() < 0.5 ? Twist.unpin : Twist.unpinDeploy;
      // Released before or after a deploy: a held build never reaches `deploying`.
      const when = pick(["before", "after"] as const);
      blocks.push([step(twist, at()), step(Twist.plain, "before"), step(release, when)]);
    }
    blocks.push(
      [step(Twist.plain, "before", false)],
      [step(Twist.plain, "before", true)],
      [step(Twist.unpushed, "before")],
    );
  }
  for (let i = blocks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [blocks[i], blocks[j]] = [blocks[j] as DrillStep[], blocks[i] as DrillStep[]];
  }
  return blocks.flat();
}

/** A person's kubectl, as cluster-admin, on one Deployment of the stage. */
export function handsOn(kubeconfig: string) {
  const run = (args: string[]) => kubectl(args, { kubeconfig });
  const deployment = (t: WorkloadTarget) => [`deployment/${t.name}`, "-n", t.namespace];
  const nodes = fakeNodeZones.map((zone) => `kwok-${zone}`);
  return {
    /** `kubectl rollout undo`: the previous ReplicaSet's template (and annotations) copied back. */
    undo: (t: WorkloadTarget) => run(["rollout", "undo", ...deployment(t)]),
    setImage: (t: WorkloadTarget, image: string) =>
      run(["set", "image", ...deployment(t), `${t.container}=${image}`]),
    pause: (t: WorkloadTarget) => run(["rollout", "pause", ...deployment(t)]),
    resume: (t: WorkloadTarget) => run(["rollout", "resume", ...deployment(t)]),
    scale: (t: WorkloadTarget, replicas: number) =>
      run(["scale", ...deployment(t), `--replicas=${replicas}`]),
    /** No pod of these Deployments can run: nodes cordoned, their pods deleted. */
    async starve(targets: readonly WorkloadTarget[]) {
      await run(["cordon", ...nodes]);
      for (const t of targets) {
        await run([
          "delete",
          "pods",
          "-n",
          t.namespace,
          "-l",
          `app.kubernetes.io/name=${t.name}`,
          "--wait=false",
        ]);
      }
    },
    uncordon: () => run(["uncordon", ...nodes]),
  };
}
