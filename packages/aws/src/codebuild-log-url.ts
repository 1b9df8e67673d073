/**
 * The CodeBuild console page of a build, from its ARN
 * (`arn:aws:codebuild:<region>:<account>:build/<project>:<uuid>`). StartBuild's answer rarely
 * carries `logs.deepLink` yet, and this page links the live log as soon as it exists.
 */
export function codebuildLogUrl(buildArn: string): string {
  const match = /^arn:(aws[a-z-]*):codebuild:([a-z0-9-]+):(\d{12}):build\/([^:]+):(.+)$/.exec(
    buildArn,
  );
  if (match === null) throw new RangeError(`not a CodeBuild build ARN: ${buildArn}`);
  const [, partition, region, account, project, uuid] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const host =
    partition === "aws-cn"
      ? `${region}.console.amazonaws.cn`
      : partition === "aws-us-gov"
        ? `${region}.console.amazonaws-us-gov.com`
        : `${region}.console.aws.amazon.com`;
  const buildId = encodeURIComponent(`${project}:${uuid}`);
  return `https://${host}/codesuite/codebuild/${account}/projects/${encodeURIComponent(project)}/build/${buildId}/?region=${region}`;
}
