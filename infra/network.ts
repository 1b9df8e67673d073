import { stageSettings } from "./settings";

const settings = stageSettings($app.stage);

/**
 * The stage's VPC across two AZs. Nodes, the database and the deploy function live in the
 * private subnets; only an internet-facing ALB is public. HA stages get a managed NAT gateway per AZ; other
 * stages a small NAT instance per AZ (cheaper, fine for dev traffic).
 */
export const vpc = new sst.aws.Vpc("Vpc", {
  az: 2,
  nat: settings.ha ? "managed" : "ec2",
  // `sst tunnel` (and `sst dev`, which starts it) reaches the internal ALB and the private
  // cluster endpoint through it. With NAT instances it is the NAT instance: no extra cost.
  bastion: !settings.ha,
  transform: {
    // The AWS Load Balancer Controller discovers subnets by these tags.
    publicSubnet: (args) => {
      args.tags = { ...args.tags, "kubernetes.io/role/elb": "1" };
    },
    privateSubnet: (args) => {
      args.tags = { ...args.tags, "kubernetes.io/role/internal-elb": "1" };
    },
  },
});
