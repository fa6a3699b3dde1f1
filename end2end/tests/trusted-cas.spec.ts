import { expect, test } from "@playwright/test";
import { makeCertificate } from "./certificates";
import { createResource, openResource, signUp, unique } from "./helpers";

test("a customer adds a trusted CA, chooses it for a resource's origin, and cannot delete it while in use", async ({ page }) => {
  await signUp(page);
  const domain = await createResource(page, "Entire website", "origin.example.com", `${unique("private")}.e2e.example`);
  const name = unique("private CA");
  const { ca } = makeCertificate([domain]);

  await page.goto("/cdn");
  await page.getByRole("navigation", { name: "CDN" }).getByRole("link", { name: "Trusted CA certificates" }).click();
  await expect(page.getByRole("heading", { name: "No trusted CA certificates yet", exact: true })).toBeVisible();
  await page.getByRole("link", { name: "Add certificate" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Add trusted CA certificate" })).toBeVisible();
  // A CA is uploaded without a key; something that is not PEM is refused, saying so.
  await expect(page.getByLabel("Private key")).toHaveCount(0);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Certificate").fill("not a certificate");
  await page.getByRole("button", { name: "Add certificate" }).click();
  await expect(page.locator(".field-error").first()).toContainText(/PEM/);
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await page.getByLabel("Certificate").fill(ca);
  await page.getByRole("button", { name: "Add certificate" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByRole("region", { name: "Certificate", exact: true })).toContainText("Edgeport end-to-end test CA");
  await expect(page.getByText("No CDN resource verifies its origin with this CA")).toBeVisible();

  // The resource's HTTPS settings name it for an HTTPS origin, and its General section says so.
  await openResource(page, domain);
  const https = page.getByRole("form", { name: "HTTPS" });
  await https.getByLabel("Origin protocol").selectOption("HTTPS");
  await https.getByLabel("Trusted CA for the origin").selectOption({ label: name });
  await https.getByRole("button", { name: "Save HTTPS settings" }).click();
  await expect(page.getByRole("heading", { level: 1, name: domain })).toBeVisible();
  const general = page.getByRole("region", { name: "General" });
  await expect(general.getByRole("link", { name: /^Trusted CA certificate \d+$/ })).toBeVisible();
  await expect(page.getByRole("form", { name: "HTTPS" }).getByLabel("Trusted CA for the origin")).toHaveValue(/^\d+$/);
  await page.getByRole("navigation", { name: "Settings sections" }).getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("table", { name: "History" })).toContainText(/Origin verified against trusted CA certificate \d+ and the public roots/);

  // Listed with the resource that uses it; in use, it cannot be deleted.
  await page.goto("/cdn/trusted-cas");
  const row = page.getByRole("table", { name: "Your trusted CA certificates", exact: true }).getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Edgeport end-to-end test CA");
  await expect(row.getByRole("link", { name: domain })).toBeVisible();
  await row.getByRole("link", { name }).click();
  await page.getByRole("button", { name: "Delete certificate" }).click();
  await expect(page.getByText(new RegExp(`trusted for the origin of the CDN resource ${domain.replaceAll(".", "\\.")}`))).toBeVisible();

  // With the public roots only again, it goes.
  await openResource(page, domain);
  await page.getByRole("form", { name: "HTTPS" }).getByLabel("Trusted CA for the origin").selectOption({ label: "Public roots only" });
  await page.getByRole("form", { name: "HTTPS" }).getByRole("button", { name: "Save HTTPS settings" }).click();
  await expect(general.getByRole("definition").filter({ hasText: "Public roots only" })).toBeVisible();
  await page.goto("/cdn/trusted-cas");
  await page.getByRole("link", { name }).click();
  await page.getByRole("button", { name: "Delete certificate" }).click();
  await expect(page.getByRole("heading", { name: "No trusted CA certificates yet", exact: true })).toBeVisible();
});
