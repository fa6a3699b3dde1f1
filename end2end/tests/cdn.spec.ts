import { expect, test } from "@playwright/test";
import { createResource, signUp, unique } from "./helpers";

test("new resources take the WebSockets default of their integration", async ({ page }) => {
  await signUp(page);
  const site = await createResource(page, "Entire website", "origin.example.com:8080");
  const assets = await createResource(page, "Static assets only", "203.0.113.10");

  await page.goto("/cdn");
  const siteRow = page.getByRole("row").filter({ has: page.getByRole("link", { name: site }) });
  await expect(siteRow.getByRole("cell")).toHaveText([
    "origin.example.com:8080",
    "Entire website",
    "On",
    "0 open WebSocket connections: reports",
    /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
  ]);
  const assetsRow = page.getByRole("row").filter({ has: page.getByRole("link", { name: assets }) });
  await expect(assetsRow.getByRole("cell")).toHaveText([
    "203.0.113.10",
    "Static assets only",
    "Off",
    "0 open WebSocket connections: reports",
    /UTC$/,
  ]);
  await expect(page.getByRole("columnheader")).toHaveText([
    "Custom domain",
    "Origin group",
    "Integration",
    "WebSockets",
    "Open now",
    "Last changed",
  ]);
});

test("an invalid domain and origin are explained beside their fields and create nothing", async ({ page }) => {
  await signUp(page);
  await page.getByRole("link", { name: "Create CDN resource" }).click();
  await page.getByLabel("Custom domain").fill("my_site.example.com");
  await page.getByLabel("Origin", { exact: true }).fill("https://origin.example.com");
  await page.getByRole("radio", { name: "Entire website" }).check();
  await page.getByRole("button", { name: "Create", exact: true }).click();

  await expect(page.getByLabel("Custom domain")).toHaveAccessibleDescription(/“_” cannot be used in a domain name/);
  await expect(page.getByLabel("Origin", { exact: true })).toHaveAccessibleDescription(/without http:\/\/ or https:\/\//);
  await expect(page.getByLabel("Custom domain")).toHaveAttribute("aria-invalid", "true");
  // What was typed is still there to correct, with or without JavaScript.
  await expect(page.getByLabel("Custom domain")).toHaveValue("my_site.example.com");
  await expect(page.getByLabel("Origin", { exact: true })).toHaveValue("https://origin.example.com");
  await expect(page.getByRole("radio", { name: "Entire website" })).toBeChecked();

  await page.goto("/cdn");
  await expect(page.getByRole("heading", { name: "No CDN resources yet" })).toBeVisible();
});

test("a port out of range is refused", async ({ page }) => {
  await signUp(page);
  await page.goto("/cdn/new");
  await page.getByLabel("Custom domain").fill(`${unique("port")}.example.com`);
  await page.getByLabel("Origin", { exact: true }).fill("origin.example.com:70000");
  await page.getByRole("radio", { name: "Static assets only" }).check();
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await expect(page.getByLabel("Origin", { exact: true })).toHaveAccessibleDescription(/port must be a number from 1 to 65535/);
  await expect(page.getByLabel("Custom domain")).not.toHaveAttribute("aria-invalid", "true");
});

test("a custom domain used by any customer's resource cannot be used again", async ({ page, browser }) => {
  await signUp(page);
  const domain = await createResource(page, "Entire website");

  const other = await browser.newPage();
  await signUp(other);
  await other.getByRole("link", { name: "Create CDN resource" }).click();
  await other.getByLabel("Custom domain").fill(domain.toUpperCase());
  await other.getByLabel("Origin", { exact: true }).fill("origin.other.example");
  await other.getByRole("radio", { name: "Static assets only" }).check();
  await other.getByRole("button", { name: "Create", exact: true }).click();
  await expect(other.getByLabel("Custom domain")).toHaveAccessibleDescription(/already used by a CDN resource/);

  await other.goto("/cdn");
  await expect(other.getByRole("heading", { name: "No CDN resources yet" })).toBeVisible();
  await other.close();
});

test("the settings page is divided into General, Content, History and Reports", async ({ page }) => {
  await signUp(page);
  const domain = await createResource(page, "Static assets only", "[2001:db8::1]:8443");
  await page.goto("/cdn");
  await page.getByRole("link", { name: domain }).click();

  await expect(page.getByRole("heading", { level: 1, name: domain })).toBeVisible();
  const sections = page.getByRole("navigation", { name: "Settings sections" });
  await expect(sections.getByRole("link")).toHaveText(["General", "Content", "History", "Reports"]);
  await expect(sections.getByRole("link", { name: "General" })).toHaveAttribute("aria-current", "page");

  const general = page.getByRole("region", { name: "General" });
  await expect(general.getByRole("definition")).toHaveText([
    "None",
    domain,
    "None",
    "[2001:db8::1]:8443",
    "Static assets only",
    "Active",
    // HTTPS, the origin protocol and the origin's trusted CA: off, HTTP and the public roots
    // until the customer chooses otherwise.
    "Off",
    "HTTP",
    "Public roots only",
    "Off (the integration's default)",
    /UTC$/,
    /UTC$/,
  ]);

  await sections.getByRole("link", { name: "Content" }).click();
  await expect(page.getByRole("region", { name: "Content" })).toBeVisible();
  await expect(page.getByRole("switch", { name: "Websockets" })).toBeVisible();
});
