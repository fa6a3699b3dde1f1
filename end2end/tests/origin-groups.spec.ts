import { expect, test, type Page } from "@playwright/test";
import { createResource, signUp, unique } from "./helpers";

// CDN → Origin groups: where a resource's content comes from, with backups and the cases that
// send a request on to the next origin. Plain forms: both projects (JavaScript on and off) run
// every test here.

async function openOriginGroups(page: Page): Promise<void> {
  await page.goto("/cdn");
  await page.getByRole("navigation", { name: "CDN" }).getByRole("link", { name: "Origin groups" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Origin groups" })).toBeVisible();
}

/** Fills origin row `n` (1-based) of the group form. */
async function fillOrigin(page: Page, n: number, source: string, { backup = false, enabled = true } = {}) {
  await page.getByLabel(`Origin ${n}`, { exact: true }).fill(source);
  await page.getByRole("checkbox", { name: `Origin ${n} enabled` }).setChecked(enabled);
  await page.getByRole("checkbox", { name: `Origin ${n} is a backup` }).setChecked(backup);
}

/** Creates a group through the form and ends on its page; returns its name. */
async function createGroup(page: Page, primary: string, backup?: string): Promise<string> {
  const name = unique("group");
  await openOriginGroups(page);
  await page.getByRole("link", { name: "Create origin group" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create origin group" })).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await fillOrigin(page, 1, primary);
  if (backup) await fillOrigin(page, 2, backup, { backup: true });
  await page.getByRole("button", { name: "Create origin group" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  return name;
}

test("an origin group is created, listed, changed with its history, and deleted", async ({ page }) => {
  await signUp(page);
  await openOriginGroups(page);
  await expect(page.getByRole("heading", { name: "No origin groups yet" })).toBeVisible();

  const primary = `${unique("a")}.example.com:8080`;
  const backup = `${unique("b")}.example.com`;
  const name = await createGroup(page, primary, backup);
  await expect(page.getByLabel(`Origin 1`, { exact: true })).toHaveValue(primary);
  await expect(page.getByRole("checkbox", { name: "Origin 2 is a backup" })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "Use next origin" })).not.toBeChecked();

  await openOriginGroups(page);
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name }) });
  await expect(row.getByRole("cell").first()).toContainText(primary);
  await expect(row.getByRole("cell").first()).toContainText(`${backup} (backup)`);
  await expect(row).toContainText("No resources");

  await row.getByRole("link", { name }).click();
  await page.getByRole("checkbox", { name: "Use next origin" }).check();
  await page.getByRole("checkbox", { name: "The origin answered 502" }).check();
  await page.getByRole("checkbox", { name: "Origin 2 enabled" }).uncheck();
  await page.getByRole("button", { name: "Save origin group" }).click();
  await expect(page.getByRole("status")).toHaveText("Changes saved");
  await expect(page.getByRole("checkbox", { name: "Use next origin" })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "The origin answered 502" })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "Origin 2 enabled" })).not.toBeChecked();

  await page.getByRole("link", { name: "History" }).click();
  const history = page.getByRole("table", { name: "History" });
  await expect(history.getByRole("rowheader", { name: /Use next origin switched on/ })).toBeVisible();
  await expect(history.getByRole("rowheader", { name: `Created as “${name}”` })).toBeVisible();
  await expect(history.getByRole("rowheader", { name: "Created with Use next origin off" })).toBeVisible();
  await expect(history.getByRole("rowheader", { name: /^Origins set to / })).toHaveText(`Origins set to ${primary}, ${backup} (backup) (disabled)`);

  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Delete origin group" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Origin groups" })).toBeVisible();
  await expect(page.getByRole("link", { name })).toHaveCount(0);
});

test("bad input is refused with a message beside its field, and nothing is saved", async ({ page }) => {
  await signUp(page);
  const name = await createGroup(page, `${unique("a")}.example.com`);

  await openOriginGroups(page);
  await page.getByRole("link", { name: "Create origin group" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await fillOrigin(page, 1, "https://origin.example.com");
  await page.getByRole("button", { name: "Create origin group" }).click();
  await expect(page.getByLabel("Origin 1", { exact: true })).toHaveAccessibleDescription(/without http:\/\/ or https:\/\//);
  await expect(page.getByLabel("Origin 1", { exact: true })).toHaveValue("https://origin.example.com");

  await fillOrigin(page, 1, "origin.example.com", { backup: true });
  await page.getByRole("button", { name: "Create origin group" }).click();
  await expect(page.getByLabel("Origin 1", { exact: true })).toHaveAccessibleDescription(/At least one origin must be enabled and not a backup/);

  await fillOrigin(page, 1, "origin.example.com");
  await page.getByRole("button", { name: "Create origin group" }).click();
  await expect(page.getByLabel("Name", { exact: true })).toHaveAccessibleDescription(/already/);

  await openOriginGroups(page);
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(1);
});

test("a resource uses a group, shows it, switches groups, and keeps its group from being deleted", async ({ page }) => {
  await signUp(page);
  const first = await createGroup(page, `${unique("a")}.example.com`, `${unique("b")}.example.com`);
  const second = await createGroup(page, `${unique("c")}.example.com`);

  const domain = `${unique("cdn")}.example.com`;
  await page.goto("/cdn");
  await page.getByRole("link", { name: "Create CDN resource" }).click();
  await page.getByLabel("Custom domain").fill(domain);
  await page.getByRole("combobox", { name: "Origin group" }).selectOption({ label: first });
  await page.getByRole("radio", { name: "Entire website" }).check();
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: domain })).toBeVisible();
  await expect(page.getByRole("definition").getByRole("link", { name: first })).toBeVisible();

  // The group's page names the resource, and refuses to delete the group.
  await page.getByRole("definition").getByRole("link", { name: first }).click();
  await expect(page.getByRole("heading", { level: 1, name: first })).toBeVisible();
  await expect(page.getByRole("region", { name: "Used by" }).getByRole("link", { name: domain })).toBeVisible();
  await page.getByRole("button", { name: "Delete origin group" }).click();
  await expect(page.getByRole("alert")).toContainText(domain);
  await openOriginGroups(page);
  await expect(page.getByRole("link", { name: first })).toBeVisible();

  // Switching the resource to the second group frees the first.
  await page.goto("/cdn");
  await page.getByRole("link", { name: domain }).click();
  await page.getByRole("combobox", { name: "Origin group" }).selectOption({ label: second });
  await page.getByRole("button", { name: "Save origin group" }).click();
  await expect(page.getByRole("definition").getByRole("link", { name: second })).toBeVisible();
  await page.getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("rowheader", { name: `Origin group switched from “${first}” to “${second}”` })).toBeVisible();

  await openOriginGroups(page);
  await page.getByRole("link", { name: first }).click();
  await page.getByRole("button", { name: "Delete origin group" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Origin groups" })).toBeVisible();
  await expect(page.getByRole("link", { name: first })).toHaveCount(0);
});

test("a resource created with a single origin gets a group of one, named after it", async ({ page }) => {
  await signUp(page);
  const origin = `${unique("solo")}.example.com:8080`;
  await createResource(page, "Static assets only", origin);
  await expect(page.getByRole("definition").getByRole("link", { name: origin })).toBeVisible();
  await openOriginGroups(page);
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: origin }) });
  await expect(row.getByRole("cell").first()).toContainText(origin);
});
