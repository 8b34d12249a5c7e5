// Headless Chromium walking the test site: node walk.mjs BASE_URL STEPS SEED
//
// Starts Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) through playwright-core with a
// fresh profile, opens BASE_URL and takes STEPS steps, each chosen by a seeded PRNG: follow a
// link on the page (most steps), reload (revalidation: Cache-Control: max-age=0 with
// If-None-Match / If-Modified-Since), go back, open a section from the menu, search, post a
// comment (a form POST answered by a 303), or sign in. After each step it waits until the
// network is idle, so the page's own script (cookies, /api/events, /api/comments) has run.
// Chromium keeps up to six connections to the origin; the recording proxy keeps each apart.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { seeded } from "./random.mjs";

// playwright-core lives where the script installed it ($NODE_DEPS/node_modules), not here.
const require = createRequire(join(process.env.NODE_DEPS ?? process.cwd(), "package.json"));
const { chromium } = require("playwright-core");

const [base, stepsArg, seedArg] = process.argv.slice(2);
const steps = Number(stepsArg ?? 200);
const { random, pick } = seeded(seedArg ?? 1);

const profile = mkdtempSync(join(tmpdir(), "streamline-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const page = context.pages()[0] ?? (await context.newPage());
const settle = () => page.waitForLoadState("networkidle").catch(() => {});
const counts = {};
const count = (what) => (counts[what] = (counts[what] ?? 0) + 1);

await page.goto(base);
await settle();
for (let step = 0; step < steps; step++) {
  const roll = random();
  try {
    if (roll < 0.62) {
      const hrefs = await page.$$eval("a[href^='/']", (as) => as.map((a) => a.getAttribute("href")));
      if (hrefs.length === 0) throw new Error("no link");
      const href = pick(hrefs);
      await page.click(`a[href='${href}']`, { timeout: 5000 }).catch((err) => {
        throw new Error(`link ${href}: ${err.message}`);
      });
      count("link");
    } else if (roll < 0.72) {
      await page.reload();
      count("reload");
    } else if (roll < 0.8) {
      (await page.goBack()) ?? (await page.goto(base));
      count("back");
    } else if (roll < 0.87) {
      // The app's pages (search results, account) have no menu: start from the home page.
      if (!(await page.$("nav a"))) {
        await page.goto(base);
        await settle();
      }
      const menu = await page.$$eval("nav a", (as) => as.map((a) => a.getAttribute("href")));
      await page.click(`nav a[href='${pick(menu)}']`, { timeout: 5000 });
      count("menu");
    } else if (roll < 0.93) {
      if (!(await page.$("input[name=q]"))) {
        await page.goto(base);
        await settle();
      }
      await page.fill("input[name=q]", pick(["latency", "hpack table", "cookie", "option strike", "gateway"]));
      await page.press("input[name=q]", "Enter");
      count("search");
    } else if (roll < 0.98) {
      if (!(await page.$("form[action='/comments']"))) {
        await page.goto(new URL(`/news/article-${1 + Math.floor(random() * 40)}.html`, base).href);
        await settle();
      }
      await page.fill("textarea[name=text]", `comment ${step}`);
      await page.click("form[action='/comments'] button");
      count("comment");
    } else {
      await page.goto(new URL("/account/", base).href);
      await settle();
      const login = await page.$("form[action='/login'] button");
      if (login) await login.click();
      count("account");
    }
  } catch (err) {
    // A step that cannot be taken (a link hidden or gone, a timeout) becomes a fresh visit.
    count("failed");
    console.error(`walk: step ${step}: ${String(err.message).split("\n")[0]}`);
    await page.goto(base);
  }
  await settle();
  await page.waitForTimeout(Math.floor(random() * 120));
}
await context.close();
rmSync(profile, { recursive: true, force: true });
console.error("walk:", JSON.stringify(counts));
