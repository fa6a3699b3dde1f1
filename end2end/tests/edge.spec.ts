import { expect, test, type Page } from "@playwright/test";
import { echoOriginPort, edgePort } from "../playwright.config";
import { contentSectionReady, createResource, javaScriptEnabled, signUp, unique } from "./helpers";

const echoOrigin = `127.0.0.1:${echoOriginPort}`;

/** Opens a WebSocket from the page to the resource's custom domain (which leads to the edge) and
 * says whether a message came back from the origin. */
async function tryWebSocket(page: Page, domain: string): Promise<string> {
  return page.evaluate(
    (url) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(url);
        socket.onopen = () => socket.send("hello from the browser");
        socket.onmessage = (event) => {
          resolve(`echo: ${event.data}`);
          socket.close();
        };
        socket.onerror = () => resolve("refused");
      }),
    `ws://${domain}:${edgePort}/live`,
  );
}

async function saveWebsockets(page: Page, on: boolean): Promise<void> {
  const websockets = page.getByRole("switch", { name: "Websockets" });
  await (on ? websockets.check() : websockets.uncheck());
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status")).toHaveText("Changes saved");
  await expect(page.getByText(/^Live: the saved settings are in effect on 1 CDN edge\.$/)).toBeVisible();
}

test("the switch decides whether a visitor's WebSocket reaches the origin through the edge", async ({ page }, testInfo) => {
  test.skip(!javaScriptEnabled(testInfo), "the page opens the WebSocket with JavaScript");
  await signUp(page);
  const domain = await createResource(page, "Entire website", echoOrigin, `${unique("ws")}.e2e.example`);
  await page.getByRole("link", { name: "Content" }).click();
  await contentSectionReady(page, testInfo);

  await expect(page.getByText(/^Live: the saved settings are in effect on 1 CDN edge\.$/)).toBeVisible();
  expect(await tryWebSocket(page, domain)).toBe("echo: hello from the browser");

  await saveWebsockets(page, false);
  expect(await tryWebSocket(page, domain)).toBe("refused");

  await saveWebsockets(page, true);
  expect(await tryWebSocket(page, domain)).toBe("echo: hello from the browser");
});

test("the Content section tells whether the saved settings are live on the edge", async ({ page }, testInfo) => {
  await signUp(page);
  await createResource(page, "Static assets only", echoOrigin, `${unique("live")}.e2e.example`);
  await page.getByRole("link", { name: "Content" }).click();
  await contentSectionReady(page, testInfo);
  // Without JavaScript the page shows the state when it was drawn; a reload shows it again.
  await expect(async () => {
    await page.reload();
    await expect(page.getByText(/^Live: /)).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
});
