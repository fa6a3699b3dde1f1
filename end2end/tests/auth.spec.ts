import { expect, test } from "@playwright/test";
import { logIn, logOut, PASSWORD, signUp, unique } from "./helpers";

test("a new customer signs up and is logged in", async ({ page }) => {
  const email = await signUp(page);
  await expect(page).toHaveURL(/\/cdn$/);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "CDN", exact: true })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();
  await expect(page.getByRole("heading", { name: "No CDN resources yet" })).toBeVisible();
});

test("a customer logs out and logs in again", async ({ page }) => {
  const email = await signUp(page);
  await logOut(page);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("link", { name: "Sign up" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Log out" })).toHaveCount(0);

  await logIn(page, email);
  await expect(page.getByRole("heading", { name: "CDN resources", exact: true })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();
});

test("a wrong password is refused without saying whether the account exists", async ({ page }) => {
  const email = await signUp(page);
  await logOut(page);

  await logIn(page, email, "not the password");
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await logIn(page, `${unique("nobody")}@example.com`, PASSWORD);
  await expect(page.getByRole("alert")).toHaveText("The email or password is incorrect.");
  await expect(page.getByRole("heading", { name: "CDN resources", exact: true })).toHaveCount(0);
});

test("sign-up refuses an email that already has an account, whatever the password", async ({ page, browser }) => {
  const email = await signUp(page);
  const other = await browser.newPage();
  await other.goto("/signup");
  await other.getByLabel("Email").fill(email.toUpperCase());
  await other.getByLabel("Password").fill(PASSWORD);
  await other.getByRole("button", { name: "Create account" }).click();
  await expect(other.getByLabel("Email")).toHaveAccessibleDescription(/cannot be used for a new account/);
  await expect(other.getByRole("heading", { name: "CDN resources", exact: true })).toHaveCount(0);
  await other.close();
});

test("sign-up explains a password that is too short", async ({ page }) => {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(`${unique("short")}@example.com`);
  // The browser's own check would stop "short" before the server sees it; drop it to test the server.
  await page.getByLabel("Password").evaluate((input) => input.removeAttribute("required"));
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByLabel("Password")).toHaveAccessibleDescription(/Use at least 8 characters/);
});

test("a signed-out visitor gets the log-in form instead of any portal page", async ({ page, browser }) => {
  const email = await signUp(page);
  const stranger = await browser.newPage();
  for (const path of ["/cdn", "/cdn/new", "/cdn/resources/1", "/cdn/resources/1/content"]) {
    await stranger.goto(path);
    await expect(stranger.getByRole("heading", { name: "Log in" })).toBeVisible();
    await expect(stranger.getByRole("heading", { name: "CDN resources", exact: true })).toHaveCount(0);
    await expect(stranger.getByRole("table")).toHaveCount(0);
  }

  // Logging in right there shows the page that was asked for.
  await stranger.goto("/cdn");
  await logIn(stranger, email);
  await expect(stranger.getByRole("heading", { name: "CDN resources", exact: true })).toBeVisible();
  await expect(stranger).toHaveURL(/\/cdn$/);
  await stranger.close();
});

test("the demo account from the README has one resource per integration", async ({ page }) => {
  await page.goto("/");
  await logIn(page, "demo@example.com", "demo-password");
  const rows = page.getByRole("row");
  await expect(rows.filter({ hasText: "www.demo-shop.example" })).toContainText(["Entire website"]);
  await expect(rows.filter({ hasText: "www.demo-shop.example" }).getByText("On", { exact: true })).toBeVisible();
  await expect(rows.filter({ hasText: "static.demo-shop.example" }).getByText("Off", { exact: true })).toBeVisible();
});
