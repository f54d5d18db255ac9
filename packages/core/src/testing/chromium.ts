import { existsSync } from "node:fs";

/**
 * Where tests find a browser: Debian's `chromium` package (never a downloaded browser). When it is
 * missing, tests skip with this message, except in CI (`CI` set), where a missing browser fails the run.
 */
export type ChromiumAvailability =
  | { readonly kind: "found"; readonly executablePath: string }
  | { readonly kind: "missing"; readonly required: boolean; readonly message: string };

const CANDIDATES = ["/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser"];

export function chromiumAvailability(env: NodeJS.ProcessEnv = process.env): ChromiumAvailability {
  const configured = env.FLOCK_CHROMIUM;
  const found = [configured, ...CANDIDATES].find(
    (p): p is string => p !== undefined && p !== "" && existsSync(p),
  );
  if (found !== undefined) return { kind: "found", executablePath: found };
  return {
    kind: "missing",
    required: env.CI !== undefined && env.CI !== "" && env.CI !== "false",
    message:
      "no Chromium for the browser tests: install Debian's chromium package (apt-get install chromium) or set " +
      "FLOCK_CHROMIUM to a Chromium executable",
  };
}

/**
 * Launches headless Chromium through playwright-core with no network beyond loopback: every request to
 * another host is aborted and recorded, so a test can assert a page loads nothing from outside.
 */
export async function launchChromium(executablePath: string) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext();
  const blocked: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    const local =
      url.protocol === "file:" ||
      url.protocol === "data:" ||
      ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    if (local) return route.continue();
    blocked.push(url.href);
    return route.abort();
  });
  return { browser, context, blocked, close: () => browser.close() };
}
