import { expect, test } from "@playwright/test";
import {
  contentSectionReady,
  createResource,
  javaScriptEnabled,
  logIn,
  logOut,
  openResource,
  signUp,
} from "./helpers";

test("a customer turns WebSockets off, saves, and finds it off after a reload and a new log-in", async ({ page }, testInfo) => {
  const email = await signUp(page);
  const domain = await createResource(page, "Entire website");
  await openResource(page, domain);
  await page.getByRole("link", { name: "Content" }).click();
  await contentSectionReady(page, testInfo);

  const content = page.getByRole("region", { name: "Content" });
  const websockets = content.getByRole("switch", { name: "Websockets" });
  await expect(websockets).toBeChecked();
  await expect(websockets).toHaveAccessibleDescription(/keep a connection open between a visitor's browser and your origin/);
  await expect(websockets).toHaveAccessibleDescription(/on for resources that serve an entire website and off for resources that serve static assets only/);
  // Where the value in effect comes from: the integration's default until the customer saves one.
  await expect(content.getByText("In effect: on (the integration's default).")).toBeVisible();

  await websockets.uncheck();
  if (javaScriptEnabled(testInfo)) {
    await expect(content.getByRole("status")).toHaveText("Unsaved changes");
  }
  await content.getByRole("button", { name: "Save changes" }).click();
  await expect(content.getByRole("status")).toHaveText("Changes saved");
  await expect(websockets).not.toBeChecked();
  await expect(content.getByText("In effect: off, set for this resource.")).toBeVisible();

  await page.reload();
  await expect(page.getByRole("switch", { name: "Websockets" })).not.toBeChecked();

  await logOut(page);
  await logIn(page, email);
  // Navigating before the log-in has answered would abandon it.
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
  await openResource(page, domain);
  await page.getByRole("link", { name: "Content" }).click();
  await expect(page.getByRole("switch", { name: "Websockets" })).not.toBeChecked();
  await page.goto("/cdn");
  await expect(page.getByRole("row").filter({ hasText: domain })).toContainText("Off");
});

test("a static-assets resource starts with WebSockets off and can turn them on", async ({ page }, testInfo) => {
  await signUp(page);
  const domain = await createResource(page, "Static assets only");
  await page.getByRole("link", { name: "Content" }).click();
  await contentSectionReady(page, testInfo);

  const websockets = page.getByRole("switch", { name: "Websockets" });
  await expect(websockets).not.toBeChecked();
  await websockets.check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Changes saved");

  await page.reload();
  await expect(page.getByRole("switch", { name: "Websockets" })).toBeChecked();
  await page.goto("/cdn");
  await expect(page.getByRole("row").filter({ hasText: domain })).toContainText("On");
});

test("the page says so while a change is unsaved, and not once it is undone", async ({ page }, testInfo) => {
  test.skip(!javaScriptEnabled(testInfo), "without JavaScript the page cannot see the switch move");
  await signUp(page);
  await createResource(page, "Entire website");
  await page.getByRole("link", { name: "Content" }).click();
  await contentSectionReady(page, testInfo);

  const websockets = page.getByRole("switch", { name: "Websockets" });
  const status = page.getByRole("status");
  await expect(status).toHaveText("");
  await websockets.uncheck();
  await expect(status).toHaveText("Unsaved changes");
  await websockets.check();
  await expect(status).toHaveText("");

  await websockets.uncheck();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(status).toHaveText("Changes saved");
  await websockets.check();
  await expect(status).toHaveText("Unsaved changes");
});

test("after hydration a save does not reload the page", async ({ page }, testInfo) => {
  test.skip(!javaScriptEnabled(testInfo), "only the hydrated app saves in place");
  await signUp(page);
  await createResource(page, "Entire website");
  await page.getByRole("link", { name: "Content" }).click();
  await contentSectionReady(page, testInfo);

  await page.evaluate(() => ((window as unknown as { marker: string }).marker = "still here"));
  const websockets = page.getByRole("switch", { name: "Websockets" });
  await websockets.uncheck();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Changes saved");
  // A second save from the same page names the version the first one returned.
  await websockets.check();
  await expect(page.getByRole("status")).toHaveText("Unsaved changes");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Changes saved");
  await expect(page.getByRole("alert")).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("still here");
  await page.reload();
  await expect(page.getByRole("switch", { name: "Websockets" })).toBeChecked();
});
