// Headless Chromium for page tests: Debian's /usr/bin/chromium driven by playwright-core (no browser
// download). A missing browser fails the test loudly with the install command; it never skips.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's browser with \`apt-get install -y chromium\` (or set CHROMIUM_PATH); .ci/run does this`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}
