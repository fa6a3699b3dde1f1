import { expect, test, type Page } from "@playwright/test";
import { contentSectionReady, createResource, javaScriptEnabled, logIn, logOut, openResource, signUp } from "./helpers";

async function openContent(page: Page, domain: string): Promise<void> {
  await openResource(page, domain);
  await page.getByRole("link", { name: "Content" }).click();
  await expect(page.getByRole("heading", { name: "Content" })).toBeVisible();
}

test("two tabs cannot silently undo each other's change", async ({ page }, testInfo) => {
  await signUp(page);
  const domain = await createResource(page, "Entire website");
  const first = page;
  const second = await page.context().newPage();
  await openContent(first, domain);
  await openContent(second, domain);
  await contentSectionReady(first, testInfo);
  await contentSectionReady(second, testInfo);

  // The first tab turns WebSockets off.
  await first.getByRole("switch", { name: "Websockets" }).uncheck();
  await first.getByRole("button", { name: "Save changes" }).click();
  await expect(first.getByRole("status")).toHaveText("Changes saved");

  // The second tab still shows them on, and its customer saves that.
  await expect(second.getByRole("switch", { name: "Websockets" })).toBeChecked();
  await second.getByRole("button", { name: "Save changes" }).click();
  await expect(second.getByRole("alert")).toContainText("This resource was changed elsewhere");
  await expect(second.getByText("Saved elsewhere: WebSockets is now off.")).toBeVisible();

  // Nothing was overwritten; the customer can re-apply on top of what is stored now.
  const websockets = second.getByRole("switch", { name: "Websockets" });
  if (javaScriptEnabled(testInfo)) {
    await expect(websockets).toBeChecked();
    await expect(second.getByRole("status")).toHaveText("Unsaved changes");
  } else {
    await expect(websockets).not.toBeChecked();
    await websockets.check();
  }
  await second.getByRole("button", { name: "Save changes" }).click();
  await expect(second.getByRole("status")).toHaveText("Changes saved");

  await first.reload();
  await expect(first.getByRole("switch", { name: "Websockets" })).toBeChecked();
  await second.close();
});

test("the History section lists each change, newest first", async ({ page }, testInfo) => {
  const email = await signUp(page);
  const domain = await createResource(page, "Entire website");
  await page.getByRole("link", { name: "Content" }).click();
  await contentSectionReady(page, testInfo);
  await page.getByRole("switch", { name: "Websockets" }).uncheck();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Changes saved");

  await openResource(page, domain);
  await page.getByRole("link", { name: "History" }).click();
  const history = page.getByRole("table", { name: "History" });
  const rows = history.getByRole("row");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1)).toContainText("WebSockets turned off");
  await expect(rows.nth(2)).toContainText("Created, with WebSockets on");
  for (const row of [rows.nth(1), rows.nth(2)]) {
    await expect(row).toContainText(email);
    await expect(row).toContainText("Portal");
  }
});

test("after five wrong passwords the portal asks to wait, even for the right one", async ({ page }) => {
  const email = await signUp(page);
  await logOut(page);
  const attempt = async (password: string) => {
    const answered = page.waitForResponse((response) => response.url().includes("/api/log_in"));
    await logIn(page, email, password);
    await answered;
    await page.waitForLoadState();
  };
  for (let n = 0; n < 5; n++) {
    await attempt("not the password");
    await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  }
  await attempt("correct horse battery staple");
  await expect(page.getByRole("alert")).toHaveText(/^Too many log-in attempts\. Try again in \d+ seconds?\.$/);
  await expect(page.getByRole("button", { name: "Log out" })).toHaveCount(0);
});

test("a form on another site cannot change anything, even with the customer signed in", async ({ page }) => {
  await signUp(page);
  await createResource(page, "Entire website");
  const resourceId = page.url().split("/").pop()!;
  const portal = new URL(page.url()).origin;

  // A page elsewhere that posts to the portal: the browser sends it with that site's Origin.
  await page.route("http://attacker.test/**", (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><title>Win a prize</title>
        <form method="post" action="${portal}/api/save_content_settings">
          <input type="hidden" name="resource_id" value="${resourceId}">
          <input type="hidden" name="version" value="1">
          <button>Claim your prize</button>
        </form>`,
    }),
  );
  await page.goto("http://attacker.test/prize");
  const [answer] = await Promise.all([
    page.waitForResponse((response) => response.url().includes("/api/save_content_settings")),
    page.getByRole("button", { name: "Claim your prize" }).click(),
  ]);
  expect(answer.status()).toBe(403);

  await page.goto(`/cdn/resources/${resourceId}/content`);
  await expect(page.getByRole("switch", { name: "Websockets" })).toBeChecked();
  await page.goto(`/cdn/resources/${resourceId}/history`);
  await expect(page.getByRole("table", { name: "History" }).getByRole("row")).toHaveCount(2);
});
