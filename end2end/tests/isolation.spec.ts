import { expect, test } from "@playwright/test";
import { createResource, signUp } from "./helpers";

test("another customer's resource answers 404 and shows none of its data", async ({ page, browser }) => {
  await signUp(page);
  const domain = await createResource(page, "Entire website", "secret-origin.example.com");
  const settingsUrl = page.url();

  const stranger = await browser.newPage();
  await signUp(stranger);
  for (const url of [settingsUrl, `${settingsUrl}/content`]) {
    const response = await stranger.goto(url);
    expect(response?.status()).toBe(404);
    await expect(stranger.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(stranger.getByText(domain)).toHaveCount(0);
    await expect(stranger.getByText("secret-origin.example.com")).toHaveCount(0);
  }
  await stranger.goto("/cdn");
  await expect(stranger.getByRole("link", { name: domain })).toHaveCount(0);
  await stranger.close();
});

test("a resource that does not exist answers 404", async ({ page }) => {
  await signUp(page);
  for (const path of ["/cdn/resources/999999999", "/cdn/resources/abc/content", "/cdn/nowhere"]) {
    const response = await page.goto(path);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  }
});

test("a save sent with another customer's resource id changes nothing", async ({ page, browser }) => {
  await signUp(page);
  const domain = await createResource(page, "Entire website");
  const resourceId = page.url().split("/").pop()!;

  const stranger = await browser.newPage();
  await signUp(stranger);
  // The stranger's own session, a hand-made request: exactly what a hostile customer can send
  // (a script can name the portal as its Origin; only a browser on another site cannot).
  const forged = await stranger.request.post("/api/save_content_settings", {
    form: { resource_id: resourceId, version: "1" },
    headers: { Accept: "application/json", Origin: new URL(page.url()).origin },
  });
  expect(forged.status()).toBe(404);
  expect(await forged.text()).toContain("NotFound");
  await stranger.close();

  await page.goto(`/cdn/resources/${resourceId}/content`);
  await expect(page.getByRole("heading", { level: 1, name: domain })).toBeVisible();
  await expect(page.getByRole("switch", { name: "Websockets" })).toBeChecked();
});
