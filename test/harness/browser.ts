import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { chromiumPath, serverAvailable } from "./requirements.ts";

/** Whether Debian's Chromium is installed; under the full test command a missing one fails. */
export function chromiumAvailable(): boolean {
  return serverAvailable("chromium", existsSync(chromiumPath));
}

/**
 * Flags for a quiet headless Chromium on a closed network: without the background-networking
 * ones it keeps trying to reach Google's update, sync and component services, which here only
 * adds noise and seconds. No sandbox: CI containers run as root.
 */
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches the system Chromium through playwright-core (which never downloads a browser).
 * Each launch gets a fresh temporary profile, so no cookie survives from another run.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

/** Test artefacts live outside git (`.artifacts/` is ignored); CI uploads the folder. */
export const screenshotDir = resolve(import.meta.dirname, "..", "..", ".artifacts", "screenshots");

/** Saves a screenshot of `page` as `.artifacts/screenshots/<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
