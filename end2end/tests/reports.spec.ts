import { expect, test, type Browser, type Page } from "@playwright/test";
import { echoOriginPort, edgePort } from "../playwright.config";
import { createResource, javaScriptEnabled, signUp, unique } from "./helpers";

const echoOrigin = `127.0.0.1:${echoOriginPort}`;

/** A visitor's browser, with JavaScript whatever the customer's has: it opens WebSockets to the
 * resource's custom domain through the edge and keeps them open until told to close one. */
async function visitor(browser: Browser, baseURL: string | undefined): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: true, baseURL });
  const page = await context.newPage();
  // A page of the portal's (as in edge.spec.ts): Chromium lets it open WebSockets to this machine.
  await page.goto("/");
  return page;
}

/** Opens `count` WebSockets and waits until each has had its echo back. */
async function openSockets(page: Page, domain: string, count: number): Promise<void> {
  await page.evaluate(
    ({ url, count }) =>
      Promise.all(
        Array.from({ length: count }, () => {
          const sockets = ((window as unknown as { sockets?: WebSocket[] }).sockets ??= []);
          return new Promise<void>((resolve, reject) => {
            const socket = new WebSocket(url);
            sockets.push(socket);
            socket.onopen = () => socket.send("hello");
            socket.onmessage = () => resolve();
            socket.onerror = () => reject(new Error("the WebSocket was refused"));
          });
        }),
      ).then(() => undefined),
    { url: `ws://${domain}:${edgePort}/live`, count },
  );
}

/** Closes one of the visitor's WebSockets, from the visitor's side. */
async function closeOneSocket(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const socket = (window as unknown as { sockets: WebSocket[] }).sockets.pop()!;
        socket.onclose = () => resolve();
        socket.close(1000, "done");
      }),
  );
}

test("the Reports section shows a resource's WebSocket connections now and what they did", async ({ page, browser, baseURL }, testInfo) => {
  await signUp(page);
  const domain = await createResource(page, "Entire website", echoOrigin, `${unique("reports")}.e2e.example`);
  await page.getByRole("link", { name: "Reports", exact: true }).click();
  await expect(page.getByRole("heading", { name: "WebSocket traffic" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("No open WebSocket connections.");

  const visitorPage = await visitor(browser, baseURL);
  // The edge learns of the new resource within a second or so; until then it does not know the host.
  await expect(async () => openSockets(visitorPage, domain, 1)).toPass({ timeout: 10_000 });
  await openSockets(visitorPage, domain, 1);
  const twoOpen = "2 open WebSocket connections, on 1 CDN edge.";
  if (javaScriptEnabled(testInfo)) {
    // The figure updates while the page is open, with no reload.
    await expect(page.getByRole("status")).toHaveText(twoOpen, { timeout: 10_000 });
  } else {
    await expect(async () => {
      await page.reload();
      await expect(page.getByRole("status")).toHaveText(twoOpen, { timeout: 1_000 });
    }).toPass({ timeout: 10_000 });
  }

  await closeOneSocket(visitorPage);
  // The visitor's close reaches the report with the edge's next report; a reload draws it.
  await expect(async () => {
    await page.reload();
    // The visitor sent the first Close frame, so the visitor closed it, although after the
    // closing handshake the origin ends TCP first (RFC 6455 §7.1.1).
    await expect(
      page.getByRole("img", { name: /^Connections closed, by reason, last hour: visitor closed: 1 in all; origin closed: 0 in all;/ }),
    ).toBeVisible({ timeout: 1_000 });
    await expect(page.getByRole("definition").filter({ hasText: /^1$/ }).first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await expect(page.getByRole("img", { name: /^Handshakes accepted, last hour: accepted: 2 in all\.$/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /^Open connections, last hour: most open at once: at most 2 at once\.$/ })).toBeVisible();

  // The figures of a chart, in a table.
  await page.getByText("Connections closed, by reason: figures").click();
  const closes = page.getByRole("table", { name: "Connections closed, by reason" });
  await expect(closes.getByRole("columnheader", { name: "visitor closed" })).toBeVisible();
  await expect(closes.getByRole("columnheader", { name: "edge shutdown" })).toBeVisible();
  await expect(closes.getByRole("cell", { name: "1", exact: true })).toHaveCount(1);

  // A longer window.
  await page.getByRole("link", { name: "Last 7 days" }).click();
  await expect(page).toHaveURL(/\?period=week$/);
  await expect(page.getByRole("link", { name: "Last 7 days" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("img", { name: /^Handshakes accepted, last 7 days: accepted: 2 in all\.$/ })).toBeVisible();

  // The list of resources shows what is open now.
  await page.goto("/cdn");
  const row = page.getByRole("table", { name: "Your CDN resources" }).getByRole("row").filter({ hasText: domain });
  await expect(row.getByRole("link", { name: "1 open WebSocket connection: reports" })).toBeVisible();
  await visitorPage.context().close();
});

test("a report window that does not exist is said plainly", async ({ page }) => {
  await signUp(page);
  await createResource(page, "Entire website", echoOrigin);
  await page.getByRole("link", { name: "Reports", exact: true }).click();
  await page.goto(`${page.url()}?period=month`);
  await expect(page.getByRole("alert")).toHaveText(/There is no report window “month”/);
  await expect(page.getByRole("link", { name: "Last hour" })).toBeVisible();
});
