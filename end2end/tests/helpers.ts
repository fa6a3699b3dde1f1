import { expect, type Page, type TestInfo } from "@playwright/test";
import { randomUUID } from "node:crypto";

export const PASSWORD = "correct horse battery staple";

/** Every test gets its own customer and domains, so tests can run in parallel on one server. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function javaScriptEnabled(testInfo: TestInfo): boolean {
  return testInfo.project.use.javaScriptEnabled !== false;
}

export async function signUp(page: Page): Promise<string> {
  const email = `${unique("customer")}@example.com`;
  await page.goto("/");
  await page.getByRole("link", { name: "Sign up" }).click();
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("heading", { name: "CDN resources", exact: true })).toBeVisible();
  return email;
}

export async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

export async function logOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
}

export type Integration = "Entire website" | "Static assets only";

/** Creates a resource through the form and returns its custom domain; ends on its settings page. */
export async function createResource(
  page: Page,
  integration: Integration,
  origin = "origin.example.com:8080",
  domain = `${unique("cdn")}.example.com`,
): Promise<string> {
  await page.goto("/cdn");
  await page.getByRole("link", { name: "Create CDN resource" }).click();
  await page.getByLabel("Custom domain").fill(domain);
  await page.getByLabel("Origin", { exact: true }).fill(origin);
  await page.getByRole("radio", { name: integration }).check();
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: domain })).toBeVisible();
  return domain;
}

/** Opens a resource the way a customer does: from the list, by its custom domain. */
export async function openResource(page: Page, domain: string): Promise<void> {
  await page.goto("/cdn");
  await page.getByRole("link", { name: domain }).click();
  await expect(page.getByRole("heading", { level: 1, name: domain })).toBeVisible();
}

/** Waits until the Content section reacts to input (after hydration), when JavaScript runs. */
export async function contentSectionReady(page: Page, testInfo: TestInfo): Promise<void> {
  if (javaScriptEnabled(testInfo)) {
    await expect(page.locator("section[data-interactive=true]")).toBeVisible();
  }
}
