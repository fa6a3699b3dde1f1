import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { createResource, signUp, unique } from "./helpers";

/** Creates a token on the API tokens page and returns its secret, as shown once. */
async function createToken(page: Page, name: string): Promise<string> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "API tokens" })).toBeVisible();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Expires after").selectOption({ label: "30 days" });
  await page.getByRole("button", { name: "Create token" }).click();
  const notice = page.getByRole("status").filter({ hasText: `Token “${name}” created` });
  await expect(notice).toContainText("will not be shown again");
  const secret = await page.getByLabel("New API token").inputValue();
  expect(secret).toMatch(/^cdnp_[0-9a-f]{64}$/);
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Active");
  await expect(row).toContainText(secret.slice(0, 11));
  // Only its start is shown in the table; the page holds the whole secret once.
  await page.reload();
  await expect(page.getByLabel("New API token")).toHaveCount(0);
  return secret;
}

async function findByCname(request: APIRequestContext, secret: string, cname: string) {
  const response = await request.get(`/cdn/resources?cname=${cname}`, {
    headers: { Authorization: `APIKey ${secret}` },
  });
  expect(response.status()).toBe(200);
  const found = await response.json();
  expect(found).toHaveLength(1);
  return found[0];
}

test("a script turns WebSockets off with a token from the portal, and the portal shows it with the token's name", async ({ page, request }) => {
  await signUp(page);
  const domain = await createResource(page, "Entire website");
  const tokenName = unique("deploy script");
  const secret = await createToken(page, tokenName);

  const resource = await findByCname(request, secret, domain);
  // Not set: the integration's default (on) is in force.
  expect(resource.options.websockets).toBeNull();
  expect(resource.optionsInForce.websockets).toBe(true);
  const read = await request.get(`/cdn/resources/${resource.id}`, { headers: { Authorization: `APIKey ${secret}` } });
  // The ETag names the resource and its version, so it can never match another resource.
  expect(read.headers()["etag"]).toBe(`"${resource.id}.1"`);
  const patched = await request.patch(`/cdn/resources/${resource.id}`, {
    headers: { Authorization: `APIKey ${secret}`, "If-Match": read.headers()["etag"] },
    data: { options: { websockets: { enabled: true, value: false } } },
  });
  expect(patched.status()).toBe(200);
  expect((await patched.json()).options.websockets).toEqual({ enabled: true, value: false });
  expect((await patched.json()).optionsInForce.websockets).toBe(false);

  await page.goto("/cdn");
  await page.getByRole("link", { name: domain }).click();
  await page.getByRole("link", { name: "Content" }).click();
  await expect(page.getByRole("switch", { name: "Websockets" })).not.toBeChecked();
  await page.getByRole("link", { name: "History" }).click();
  const change = page.getByRole("row").filter({ hasText: "WebSockets turned off" });
  await expect(change).toContainText(`API, token “${tokenName}”`);
});

test("a revoked token is refused at once, and the API never takes the portal's session", async ({ page, request }) => {
  await signUp(page);
  const tokenName = unique("ci");
  const secret = await createToken(page, tokenName);
  const list = () => request.get("/cdn/resources", { headers: { Authorization: `APIKey ${secret}` } });
  expect((await list()).status()).toBe(200);

  // The browser is signed in, but its session cookie is no key to the API.
  const withSession = await page.request.get("/cdn/resources", { headers: { Accept: "application/json" } });
  expect(withSession.status()).toBe(401);

  await page.getByRole("button", { name: `Revoke ${tokenName}` }).click();
  await expect(page.getByRole("row").filter({ hasText: tokenName })).toContainText("Revoked");
  const refused = await list();
  expect(refused.status()).toBe(401);
  expect((await refused.json()).message).toContain("APIKey");
});

test("a token's name must be given, and must not repeat a live token's", async ({ page }) => {
  await signUp(page);
  const tokenName = unique("terraform");
  await createToken(page, tokenName);
  await page.getByLabel("Name").fill(tokenName);
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText(`You already have a token named “${tokenName}”`)).toBeVisible();
  await expect(page.getByLabel("Name")).toHaveValue(tokenName);
  await expect(page.getByRole("row").filter({ hasText: tokenName })).toHaveCount(1);
});
