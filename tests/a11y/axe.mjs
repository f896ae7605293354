// Runs axe-core on local HTML files in a real browser (Debian's chromium, launched by
// puppeteer-core, which never downloads one) and prints every violation of impact serious or
// critical. Usage: node axe.mjs CHROMIUM PROFILE_DIR FILE...  Exit 0 when none, 1 when some,
// 2 when the check itself could not run.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const [chromium, profile, ...files] = process.argv.slice(2);
if (!chromium || !profile || files.length === 0) {
  console.error("usage: node axe.mjs CHROMIUM PROFILE_DIR FILE...");
  process.exit(2);
}
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// The day bars by keyboard: Tab reaches a day, which shows a visible focus ring and reads
// as its label (date, state, downtime); the next Tab reaches the next day. Pages without
// bars pass. Returns the number of failures.
async function keyboard(page, file, width) {
  if ((await page.$(".bar li")) === null) return 0;
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement;
      if (!el || !el.closest(".bar")) return null;
      const style = getComputedStyle(el);
      const cells = [...el.closest(".bar").children];
      return {
        index: cells.indexOf(el),
        text: el.textContent.trim(),
        outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
      };
    });
  let first = null;
  for (let i = 0; i < 200 && first === null; i++) {
    await page.keyboard.press("Tab");
    first = await focused();
  }
  await page.keyboard.press("Tab");
  const second = await focused();
  const problems = [];
  if (first === null) problems.push("Tab never reaches a day of a bar");
  else {
    if (!first.outline) problems.push("a focused day has no visible focus ring");
    if (!/^\d{1,2} \w{3}( \d{4})?: \w/.test(first.text)) problems.push(`a focused day reads ${JSON.stringify(first.text)}`);
    if (second === null || second.index !== first.index + 1) problems.push("the next Tab does not reach the next day");
  }
  for (const p of problems) console.log(`${file} (${width}px wide): [keyboard] ${p}`);
  return problems.length;
}

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  userDataDir: profile,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let failed = 0;
try {
  for (const file of files) {
    for (const width of [375, 1280]) {
      const page = await browser.newPage();
      await page.setViewport({ width, height: 900 });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      await page.evaluate(axeSource);
      const result = await page.evaluate(() =>
        // Every rule axe has for WCAG 2.x A and AA and its best practices.
        window.axe.run(document, { resultTypes: ["violations"] }),
      );
      const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      for (const v of bad) {
        failed += 1;
        console.log(`${file} (${width}px wide): [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`);
        for (const node of v.nodes.slice(0, 5)) {
          console.log(`    ${node.target.join(" ")}: ${node.failureSummary.replace(/\n/g, " ")}`);
        }
      }
      console.error(`${file} (${width}px): ${result.violations.length} violation(s) in all, ${bad.length} serious or critical (axe ${result.testEngine.version})`);
      failed += await keyboard(page, file, width);
      await page.close();
    }
  }
} finally {
  await browser.close();
}
process.exit(failed > 0 ? 1 : 0);
