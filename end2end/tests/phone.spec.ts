import { expect, test, type Locator, type Page, type TestInfo } from "@playwright/test";
import { makeCertificate } from "./certificates";
import { createResource, signUp, unique } from "./helpers";

// A common phone's screen, in CSS pixels: every page must fit its width.
test.use({ viewport: { width: 390, height: 844 } });

/**
 * Checks the page as it is now: nothing wider than the screen (the page would scroll sideways),
 * and, when signed in, "Log out" wholly on screen. The screenshot goes to the report.
 */
async function expectFitsThePhone(page: Page, testInfo: TestInfo, name: string, signedIn: boolean): Promise<void> {
  const widths = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    screen: window.innerWidth,
  }));
  expect(widths.page, `${name} (${page.url()}) is wider than the screen`).toBeLessThanOrEqual(widths.screen);
  if (signedIn) {
    const logOut = page.getByRole("button", { name: "Log out" });
    await expect(logOut).toBeVisible();
    await expect(logOut).toBeInViewport({ ratio: 1 });
  }
  await testInfo.attach(name, { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
}

/**
 * Each cell of `row` shows the name of its column, in the order of the table's column headers,
 * which stay in the table for screen readers although they are out of sight.
 */
async function expectCellsLabelled(table: Locator, row: Locator): Promise<void> {
  const columns = await table.getByRole("columnheader").allTextContents();
  expect(columns.length).toBeGreaterThan(1);
  const cells = row.getByRole("rowheader").or(row.getByRole("cell"));
  await expect(cells).toHaveCount(columns.length);
  const labels = await cells.evaluateAll((cells) =>
    cells.map((cell) => {
      const shown = getComputedStyle(cell, "::before");
      return { label: cell.getAttribute("data-label"), shown: shown.display !== "none" && shown.content !== "none" };
    }),
  );
  expect(labels).toEqual(columns.map((column) => ({ label: column.trim(), shown: true })));
}

test("the pages for visitors fit a phone's screen", async ({ page }, testInfo) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "log-in", false);

  await page.getByRole("link", { name: "Sign up" }).click();
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "sign-up", false);

  await page.goto("/no-such-page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "not-found-signed-out", false);
});

test("every page of a signed-in customer fits a phone's screen, and tables keep their column names", async ({ page }, testInfo) => {
  // Some twenty pages, each drawn and photographed.
  test.setTimeout(60_000);
  await signUp(page);
  await expectFitsThePhone(page, testInfo, "resources-empty", true);

  await page.getByRole("link", { name: "Create CDN resource" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create CDN resource" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "new-resource", true);

  const domain = await createResource(page, "Entire website", `${unique("origin")}.example.com:8080`);
  await expectFitsThePhone(page, testInfo, "resource-general", true);

  await page.getByRole("link", { name: "Content" }).click();
  await expect(page.getByRole("switch", { name: "Websockets" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "resource-content", true);

  await page.getByRole("link", { name: "History" }).click();
  const history = page.getByRole("table", { name: "History" });
  await expect(history.getByRole("row").nth(1)).toBeVisible();
  await expectCellsLabelled(history, history.getByRole("row").nth(1));
  await expectFitsThePhone(page, testInfo, "resource-history", true);

  await page.getByRole("link", { name: "Reports", exact: true }).click();
  await expect(page.getByRole("heading", { name: "WebSocket traffic" })).toBeVisible();
  await expect(page.getByRole("img", { name: /^Open connections, last hour/ })).toBeVisible();
  await page.getByText("Open connections: figures").click();
  await expect(page.getByRole("table", { name: "Open connections" })).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await expectFitsThePhone(page, testInfo, "resource-reports", true);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "CDN" }).click();
  const resources = page.getByRole("table", { name: "Your CDN resources" });
  const row = resources.getByRole("row").filter({ hasText: domain });
  await expect(row).toBeVisible();
  await expectCellsLabelled(resources, row);
  await expectFitsThePhone(page, testInfo, "resources", true);

  await page.getByRole("navigation", { name: "CDN" }).getByRole("link", { name: "Origin groups" }).click();
  const groups = page.getByRole("table", { name: "Your origin groups" });
  const groupRow = groups.getByRole("row").nth(1);
  await expect(groupRow).toBeVisible();
  await expectCellsLabelled(groups, groupRow);
  await expectFitsThePhone(page, testInfo, "origin-groups", true);

  await page.getByRole("link", { name: "Create origin group" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create origin group" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "new-origin-group", true);

  await page.goBack();
  await groupRow.getByRole("rowheader").getByRole("link").click();
  await expect(page.getByRole("button", { name: "Save origin group" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "origin-group", true);

  await page.getByRole("navigation", { name: "Origin group sections" }).getByRole("link", { name: "History" }).click();
  const groupHistory = page.getByRole("table", { name: "History" });
  await expect(groupHistory.getByRole("row").nth(1)).toBeVisible();
  await expectCellsLabelled(groupHistory, groupHistory.getByRole("row").nth(1));
  await expectFitsThePhone(page, testInfo, "origin-group-history", true);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "CDN" }).click();
  await page.getByRole("navigation", { name: "CDN" }).getByRole("link", { name: "SSL certificates" }).click();
  await expect(page.getByRole("heading", { name: "No SSL certificates yet" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "certificates-empty", true);
  await page.getByRole("link", { name: "Add certificate" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Add SSL certificate" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "new-certificate", true);
  // A long name and long domain names, as real certificates have.
  const certificateName = unique("a certificate with a rather long name");
  const { chain, privateKey } = makeCertificate([domain, `a-rather-long-secondary-name-${unique("www")}.${domain}`]);
  await page.getByLabel("Name").fill(certificateName);
  await page.getByLabel("Certificate").fill(chain);
  await page.getByLabel("Private key").fill(privateKey);
  await page.getByRole("button", { name: "Add certificate" }).click();
  await expect(page.getByRole("heading", { level: 1, name: certificateName })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "certificate", true);
  await page.getByRole("link", { name: "SSL certificates" }).first().click();
  const certificates = page.getByRole("table", { name: "Your SSL certificates" });
  const certificateRow = certificates.getByRole("row").nth(1);
  await expect(certificateRow).toBeVisible();
  await expectCellsLabelled(certificates, certificateRow);
  await expectFitsThePhone(page, testInfo, "certificates", true);
  await page.getByRole("navigation", { name: "CDN" }).getByRole("link", { name: "Trusted CA certificates" }).click();
  await expect(page.getByRole("heading", { name: "No trusted CA certificates yet", exact: true })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "trusted-cas-empty", true);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API tokens" }).click();
  await page.getByLabel("Name").fill(unique("a deploy script with a long name"));
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByLabel("New API token")).toBeVisible();
  await expectFitsThePhone(page, testInfo, "api-tokens", true);

  await page.goto("/cdn/resources/999999999");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expectFitsThePhone(page, testInfo, "not-found-signed-in", true);
});
