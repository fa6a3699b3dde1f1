import { defineConfig } from "@playwright/test";

// The portal under test: the release build, on its own port and a database made fresh for
// every run (the server deletes nothing itself; the command below does).
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  workers: 2,
  reporter: [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      // Playwright cannot download its own browser here; Debian's Chromium is used instead.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "with-javascript", use: { javaScriptEnabled: true } },
    // The same tests with JavaScript off: every form must work as plain HTML.
    { name: "without-javascript", use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: "rm -rf target/e2e && exec target/release/cdn-portal",
    cwd: "..",
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      DATABASE_URL: "sqlite://target/e2e/portal.db",
      SEED_DEMO: "true",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_OUTPUT_NAME: "cdn-portal",
      LEPTOS_ENV: "PROD",
      // Every test logs in from 127.0.0.1; the per-address limit would make them wait for each
      // other. The per-account limit stays as in production and is tested.
      LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS: "100000",
    },
  },
});
