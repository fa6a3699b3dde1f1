import { defineConfig } from "@playwright/test";

// The portal under test: the release build, on its own port and a database made fresh for
// every run (the server deletes nothing itself; the command below does).
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// A CDN edge following the portal, and an origin for resources to point at.
export const edgePort = port + 80;
const edgeAdminPort = port + 81;
// The edge's HTTPS (and wss://) address.
export const edgeTlsPort = port + 82;
export const echoOriginPort = port + 90;
const feedToken = "end-to-end-edge-feed-token";

// The same tests on SQLite (the default) or, with E2E_DATABASE=postgres, on a fresh database on the
// PostgreSQL server that TEST_POSTGRES_URL names (make test starts a throwaway one).
const onPostgres = process.env.E2E_DATABASE === "postgres";
function postgresDatabase(name: string): string {
  const server = process.env.TEST_POSTGRES_URL;
  if (!server) throw new Error("E2E_DATABASE=postgres needs TEST_POSTGRES_URL (scripts/test-postgres.sh sets it)");
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}
const database = onPostgres
  ? {
      url: postgresDatabase("portal_e2e"),
      fresh: `psql "$TEST_POSTGRES_URL" -q -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS portal_e2e WITH (FORCE)' -c 'CREATE DATABASE portal_e2e'`,
    }
  : { url: "sqlite://target/e2e/portal.db", fresh: "rm -rf target/e2e" };

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
        // Customers' custom domains in the tests all lead to the edge on this machine.
        "--host-resolver-rules=MAP *.e2e.example 127.0.0.1",
      ],
    },
  },
  projects: [
    { name: "with-javascript", use: { javaScriptEnabled: true } },
    // The same tests with JavaScript off: every form must work as plain HTML.
    { name: "without-javascript", use: { javaScriptEnabled: false } },
  ],
  webServer: [
    {
      command: `exec target/release/echo-origin`,
      cwd: "..",
      port: echoOriginPort,
      reuseExistingServer: false,
      env: { ECHO_ORIGIN_LISTEN: `127.0.0.1:${echoOriginPort}` },
    },
    {
      command: `${database.fresh} && exec target/release/cdn-portal`,
      cwd: "..",
      url: `${baseURL}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        DATABASE_URL: database.url,
        SEED_DEMO: "true",
        // The rest of Leptos' settings (site root, bundle name) are the portal's own defaults.
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        // Every test logs in from 127.0.0.1; the per-address limit would make them wait for each
        // other. The per-account limit stays as in production and is tested.
        LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS: "100000",
        // Likewise every test signs up from 127.0.0.1, more often than a household would.
        SIGN_UPS_PER_CLIENT_ADDRESS: "100000",
        EDGE_FEED_TOKEN: feedToken,
      },
    },
    {
      command: "rm -rf target/e2e-edge && exec target/release/cdn-edge",
      cwd: "..",
      // Answers 200 once the edge has the portal's configuration.
      url: `http://127.0.0.1:${edgeAdminPort}/healthz`,
      reuseExistingServer: false,
      timeout: 30_000,
      stderr: "pipe",
      env: {
        EDGE_LISTEN: `127.0.0.1:${edgePort}`,
        EDGE_TLS_LISTEN: `127.0.0.1:${edgeTlsPort}`,
        EDGE_ADMIN_LISTEN: `127.0.0.1:${edgeAdminPort}`,
        EDGE_PORTAL_URL: baseURL,
        EDGE_FEED_TOKEN: feedToken,
        EDGE_STATE_FILE: "target/e2e-edge/config.json",
      },
    },
  ],
});
