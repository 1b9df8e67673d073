/** The stage's VPC: two AZs, private subnets for nodes and the deploy function. */
export const vpc = new sst.aws.Vpc("Vpc", {
  az: 2,
  nat: $app.stage === "production" ? "managed" : "ec2",
});
