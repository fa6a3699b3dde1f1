import { expect, test, type Page } from "@playwright/test";
import { createResource, signUp, unique } from "./helpers";

// The General section of a resource: its name, description and secondary hostnames, shown and
// edited through a plain form that works alike with JavaScript on or off (both projects run
// these tests), at a desktop's width and a phone's.

async function openGeneral(page: Page, domain: string): Promise<void> {
  await page.goto("/cdn");
  await page.getByRole("link", { name: domain }).click();
  await expect(page.getByRole("heading", { level: 1, name: domain })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "General" })).toBeVisible();
}

function generalForm(page: Page) {
  return page.getByRole("form", { name: "Name, description and hostnames" });
}

async function save(page: Page): Promise<void> {
  await generalForm(page).getByRole("button", { name: "Save general settings" }).click();
}

for (const [width, height] of [
  [1280, 800],
  [390, 844],
]) {
  test.describe(`at ${width} pixels wide`, () => {
    test.use({ viewport: { width, height } });

    test("a name, a description and secondary hostnames are saved, shown and removed", async ({ page }) => {
      await signUp(page);
      const domain = await createResource(page, "Entire website");
      const alias = `${unique("www")}.example.com`;
      const shop = `${unique("shop")}.example.com`;
      await openGeneral(page, domain);
      await expect(page.getByLabel("Name", { exact: true })).toHaveValue("");
      await expect(page.getByLabel("Secondary hostnames", { exact: true })).toHaveAccessibleDescription(/one per line/);

      await page.getByLabel("Name", { exact: true }).fill("Images — EU");
      await page.getByLabel("Description", { exact: true }).fill("Served from Frankfurt");
      await page.getByLabel("Secondary hostnames", { exact: true }).fill(`${alias}\n${shop.toUpperCase()}`);
      await save(page);

      await expect(generalForm(page).getByRole("status")).toHaveText("Changes saved");
      await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Images — EU");
      await expect(page.getByLabel("Description", { exact: true })).toHaveValue("Served from Frankfurt");
      await expect(page.getByLabel("Secondary hostnames", { exact: true })).toHaveValue(`${alias}\n${shop}`);
      await expect(page.getByRole("definition").filter({ hasText: `${alias}, ${shop}` })).toBeVisible();

      await page.goto("/cdn");
      const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: domain }) });
      await expect(row.getByRole("rowheader")).toContainText("Images — EU");
      await expect(row.getByRole("rowheader")).toContainText(alias);

      await page.getByRole("link", { name: domain }).click();
      await page.getByRole("navigation", { name: "Settings sections" }).getByRole("link", { name: "History" }).click();
      await expect(page.getByRole("rowheader", { name: "Name set to “Images — EU”" })).toBeVisible();
      await expect(page.getByRole("rowheader", { name: `Secondary hostnames set to ${alias}, ${shop}` })).toBeVisible();

      await openGeneral(page, domain);
      await page.getByLabel("Name", { exact: true }).fill("");
      await page.getByLabel("Description", { exact: true }).fill("");
      await page.getByLabel("Secondary hostnames", { exact: true }).fill("");
      await save(page);
      await expect(generalForm(page).getByRole("status")).toHaveText("Changes saved");
      await expect(page.getByLabel("Name", { exact: true })).toHaveValue("");
      await expect(page.getByLabel("Secondary hostnames", { exact: true })).toHaveValue("");
      await expect(page.getByRole("definition").filter({ hasText: alias })).toHaveCount(0);
    });

    test("a hostname another customer's resource serves is refused beside its field", async ({ page, browser }) => {
      await signUp(page);
      const taken = await createResource(page, "Static assets only");

      const other = await browser.newPage({ viewport: { width, height } });
      await signUp(other);
      const domain = await createResource(other, "Entire website");
      await openGeneral(other, domain);
      await other.getByLabel("Name", { exact: true }).fill("Kept after the refusal");
      await other.getByLabel("Secondary hostnames", { exact: true }).fill(taken);
      await save(other);

      const hostnames = other.getByLabel("Secondary hostnames", { exact: true });
      await expect(hostnames).toHaveAccessibleDescription(/already used by a CDN resource/);
      await expect(hostnames).toHaveAttribute("aria-invalid", "true");
      // What was typed is still there to correct, with or without JavaScript.
      await expect(hostnames).toHaveValue(taken);
      await expect(other.getByLabel("Name", { exact: true })).toHaveValue("Kept after the refusal");

      await hostnames.fill("my_site.example.com");
      await save(other);
      await expect(other.getByLabel("Secondary hostnames", { exact: true })).toHaveAccessibleDescription(
        /my_site\.example\.com: “_” cannot be used in a domain name/,
      );

      await other.goto("/cdn");
      const row = other.getByRole("row").filter({ has: other.getByRole("link", { name: domain }) });
      await expect(row.getByRole("rowheader")).not.toContainText("Kept after the refusal");
      await other.close();
    });
  });
}
