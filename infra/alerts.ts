import { stageSettings } from "./settings";

/**
 * Where Slipway reports its own failures (dead-lettered events, failed deploys, lifecycle
 * events it could not publish), not just the app's. Subscribe an email per stage in settings.
 */
export const alerts = new sst.aws.SnsTopic("Alerts");

const alertEmail = stageSettings($app.stage).alertEmail;
if (alertEmail) alerts.subscribe("AlertsEmail", alertEmail);
