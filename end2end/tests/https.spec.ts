import { chromium, expect, test, type Page } from "@playwright/test";
import { echoOriginPort, edgeTlsPort } from "../playwright.config";
import { makeCertificate } from "./certificates";
import { contentSectionReady, createResource, javaScriptEnabled, openResource, signUp, unique } from "./helpers";

const echoOrigin = `127.0.0.1:${echoOriginPort}`;

/** Adds a certificate through CDN → SSL certificates; ends on its page. */
async function addCertificate(page: Page, name: string, chain: string, privateKey: string): Promise<void> {
  await page.goto("/cdn");
  await page.getByRole("navigation", { name: "CDN" }).getByRole("link", { name: "SSL certificates" }).click();
  await page.getByRole("link", { name: "Add certificate" }).click();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Certificate").fill(chain);
  await page.getByLabel("Private key").fill(privateKey);
  await page.getByRole("button", { name: "Add certificate" }).click();
}

/** Turns HTTPS on for the resource with the certificate named `certificate` (which covers the
 * resource's domain alone), from its General section. */
async function turnHttpsOn(page: Page, domain: string, certificate: string): Promise<void> {
  await openResource(page, domain);
  const https = page.getByRole("form", { name: "HTTPS" });
  await https.getByRole("checkbox", { name: "Serve over HTTPS" }).check();
  await https.getByLabel("Certificate").selectOption({ label: `${certificate} (${domain})` });
  await https.getByRole("button", { name: "Save HTTPS settings" }).click();
  await expect(page.getByRole("heading", { level: 1, name: domain })).toBeVisible();
  await expect(page.getByRole("form", { name: "HTTPS" }).getByRole("checkbox", { name: "Serve over HTTPS" })).toBeChecked();
}

test("a customer adds a certificate, sees what it covers, and turns HTTPS on for a resource", async ({ page }) => {
  await signUp(page);
  const domain = await createResource(page, "Entire website", echoOrigin, `${unique("tls")}.e2e.example`);
  const name = unique("certificate");
  const { chain, privateKey } = makeCertificate([domain]);

  // A key that is not the certificate's is refused, saying so, and nothing is added.
  const other = makeCertificate([domain]);
  await addCertificate(page, name, chain, other.privateKey);
  await expect(page.getByRole("alert").or(page.locator(".field-error")).first()).toContainText(/match/i);
  await expect(page.getByLabel("Name")).toHaveValue(name);
  await page.goto("/cdn/ssl");
  await expect(page.getByRole("heading", { name: "No SSL certificates yet" })).toBeVisible();

  await addCertificate(page, name, chain, privateKey);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  const details = page.getByRole("region", { name: "Certificate", exact: true });
  await expect(details).toContainText(domain);
  await expect(details).toContainText("Edgeport end-to-end test CA");
  await expect(page.getByText("No CDN resource serves HTTPS with this certificate")).toBeVisible();
  // The key is never shown again.
  await expect(page.locator("body")).not.toContainText("PRIVATE KEY");

  await turnHttpsOn(page, domain, name);
  await page.goto("/cdn/ssl");
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(domain);
  await expect(row.getByRole("link", { name: domain })).toBeVisible();
  // In use, it cannot be deleted.
  await row.getByRole("link", { name }).click();
  await page.getByRole("button", { name: "Delete certificate" }).click();
  await expect(page.getByText(new RegExp(domain)).first()).toBeVisible();
  await page.goto("/cdn/ssl");
  await expect(page.getByRole("row").filter({ hasText: name })).toBeVisible();
});

test("a certificate about to end is marked on its list and on the resource that uses it", async ({ page }) => {
  await signUp(page);
  const domain = await createResource(page, "Entire website", echoOrigin, `${unique("ending")}.e2e.example`);
  const name = unique("ending");
  const { chain, privateKey } = makeCertificate([domain], 10);
  await addCertificate(page, name, chain, privateKey);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.getByText(/^Expires in (9|10) days$/).first()).toBeVisible();
  await turnHttpsOn(page, domain, name);
  await expect(page.getByRole("note")).toContainText(/The certificate in use, .*: Expires in (9|10) days/);
});

test("a browser opens https:// and wss:// to the customer's domain through the edge, as long as WebSockets are on", async ({ page }, testInfo) => {
  test.skip(!javaScriptEnabled(testInfo), "the visitor's page opens the WebSocket with JavaScript");
  await signUp(page);
  const domain = await createResource(page, "Entire website", echoOrigin, `${unique("wss")}.e2e.example`);
  const name = unique("site");
  const certificate = makeCertificate([domain]);
  await addCertificate(page, name, certificate.chain, certificate.privateKey);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await turnHttpsOn(page, domain, name);

  // The visitor's browser trusts this certificate's key, and nothing else it was not already told to.
  const visitorBrowser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--host-resolver-rules=MAP *.e2e.example 127.0.0.1",
      `--ignore-certificate-errors-spki-list=${certificate.spki}`,
    ],
  });
  try {
    const visitor = await visitorBrowser.newPage();
    const site = `https://${domain}:${edgeTlsPort}`;
    // The edge has the certificate within a second of the save.
    await expect(async () => {
      const response = await visitor.goto(`${site}/hello`);
      expect(response?.status()).toBe(200);
    }).toPass({ timeout: 10_000 });
    const tryWss = () =>
      visitor.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const socket = new WebSocket(url);
            socket.onopen = () => socket.send("hello over wss");
            socket.onmessage = (event) => {
              resolve(`echo: ${event.data}`);
              socket.close();
            };
            socket.onerror = () => resolve("refused");
          }),
        `wss://${domain}:${edgeTlsPort}/live`,
      );
    expect(await tryWss()).toBe("echo: hello over wss");

    await openResource(page, domain);
    await page.getByRole("link", { name: "Content" }).click();
    await contentSectionReady(page, testInfo);
    await page.getByRole("switch", { name: "Websockets" }).uncheck();
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByRole("status")).toHaveText("Changes saved");
    await expect(page.getByText(/^Live: the saved settings are in effect on 1 CDN edge\.$/)).toBeVisible();
    expect(await tryWss()).toBe("refused");
  } finally {
    await visitorBrowser.close();
  }
});
