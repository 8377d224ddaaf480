// The site's browser test (issue #13): serves the built book on localhost and
// drives Debian's chromium (/usr/bin/chromium) through playwright-core.
//
//   node site/browser-test.mjs BOOK_DIR SCREENSHOT_DIR
//
// Checks: every page loads with no console error, no page error and no failed
// request; the sidebar navigation leads to the page clicked; mdBook's search
// finds a clause id and its result leads to the clause's page; opening
// page.html#<clause id> scrolls the clause into view. Saves screenshots of an
// envelope page and of the results page. Exits 1 on the first failed check
// class, listing every failure of it.
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, resolve, sep } from "node:path";
import { chromium } from "playwright-core";

const [bookArg, shotsArg] = process.argv.slice(2);
if (!bookArg || !shotsArg) {
  console.error("usage: node site/browser-test.mjs BOOK_DIR SCREENSHOT_DIR");
  process.exit(2);
}
const book = resolve(bookArg);
const shots = resolve(shotsArg);
mkdirSync(shots, { recursive: true });

const CLAUSE = { id: "ndarray.shape.elements", page: "ndarray.html" };
const SEARCH = { query: "ndarray.shape.elements", page: "ndarray.html" };
const NAV = { text: "Envelope: ndarray", page: "ndarray.html" };

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
  ".png": "image/png", ".json": "application/json", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf",
  ".ico": "image/x-icon", ".txt": "text/plain",
};

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  let file = resolve(join(book, path));
  if (file !== book && !file.startsWith(book + sep)) { res.writeHead(403).end(); return; }
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
  if (!existsSync(file)) { res.writeHead(404).end("not found"); return; }
  res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream" });
  res.end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}/`;

const userDataDir = mkdtempSync(join(tmpdir(), "sciwire-site-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 900 },
});

const failures = [];
let checks = 0;
function check(ok, what) {
  checks++;
  if (!ok) failures.push(what);
}

async function finish(code) {
  await context.close();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
  process.exit(code);
}

function report(section) {
  if (failures.length) {
    console.error(`site browser test: ${section}: ${failures.length} failure(s):\n  ` + failures.join("\n  "));
    return finish(1);
  }
  return null;
}

const page = context.pages()[0] || (await context.newPage());
let problems = [];
page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("requestfailed", (r) => {
  // ERR_ABORTED: the request of a page left before it finished (a navigation), not a missing file;
  // missing files show as HTTP 404 below.
  const why = r.failure()?.errorText;
  if (r.url().startsWith(base) && why !== "net::ERR_ABORTED") problems.push(`request failed: ${r.url()} (${why})`);
});
page.on("response", (r) => {
  if (r.url().startsWith(base) && r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
});

// 1. Every page loads cleanly (print.html would open the print dialog; 404.html is the server's; toc.html is the
// sidebar for readers without JavaScript, not a page).
const pages = readdirSync(book).filter((f) => f.endsWith(".html") && f !== "print.html" && f !== "404.html" && f !== "toc.html").sort();
check(pages.length > 10, `only ${pages.length} HTML pages in ${book}`);
for (const p of pages) {
  problems = [];
  const resp = await page.goto(base + p, { waitUntil: "load" });
  await page.waitForTimeout(50);
  check(resp && resp.ok(), `${p}: HTTP ${resp && resp.status()}`);
  const h1 = await page.locator("main h1").first().textContent({ timeout: 5000 }).catch(() => null);
  check(h1 && h1.trim().length > 0, `${p}: no <h1> in <main>`);
  for (const pr of problems) check(false, `${p}: ${pr}`);
}
await report("pages");
console.log(`site browser test: ${pages.length} pages load with no console error`);

// 2. The sidebar navigation: click a chapter, land on its page.
problems = [];
await page.goto(base + "introduction.html", { waitUntil: "load" });
const navLink = page.locator("#mdbook-sidebar a, #sidebar a, nav a").filter({ hasText: NAV.text }).first();
await navLink.click({ timeout: 10000 }).catch((e) => check(false, `sidebar: no clickable link "${NAV.text}": ${e.message}`));
await page.waitForURL("**/" + NAV.page, { timeout: 10000 }).catch(() => {});
check(page.url().endsWith("/" + NAV.page), `sidebar: clicking "${NAV.text}" led to ${page.url()}, not ${NAV.page}`);
const navH1 = await page.locator("main h1").first().textContent().catch(() => "");
check(navH1.includes("ndarray"), `sidebar: the page reached has <h1> ${JSON.stringify(navH1)}`);
for (const pr of problems) check(false, `sidebar: ${pr}`);
await report("sidebar navigation");
console.log(`site browser test: the sidebar link "${NAV.text}" leads to ${NAV.page}`);

// 3. Search: a clause id finds its page.
problems = [];
await page.goto(base + "introduction.html", { waitUntil: "load" });
const toggle = page.locator("#mdbook-search-toggle, #search-toggle").first();
await toggle.click({ timeout: 10000 }).catch((e) => check(false, `search: no search button: ${e.message}`));
const bar = page.locator("#mdbook-searchbar, #searchbar").first();
const results = page.locator("#mdbook-searchresults a, #searchresults a");
// mdBook searches on key-up, once its index (loaded when the search opens) is
// there: type the query as keys, and again until the index has loaded.
for (let attempt = 0; attempt < 15; attempt++) {
  await bar.fill("", { timeout: 10000 }).catch(() => {});
  const typed = await bar.pressSequentially(SEARCH.query, { timeout: 10000 }).then(() => true)
    .catch((e) => { check(false, `search: no search field: ${e.message}`); return false; });
  if (!typed) break;
  const shown = await results.first().waitFor({ timeout: 2000 }).then(() => true).catch(() => false);
  if (shown) break;
}
const hrefs = await results.evaluateAll((as) => as.map((a) => a.getAttribute("href")));
const hit = hrefs.findIndex((h) => h && h.split(/[?#]/)[0].endsWith(SEARCH.page));
check(hit >= 0, `search: "${SEARCH.query}" gave no result on ${SEARCH.page} (results: ${JSON.stringify(hrefs.slice(0, 10))})`);
if (hit >= 0) {
  await results.nth(hit).click();
  await page.waitForURL(`**/${SEARCH.page}*`, { timeout: 10000 }).catch(() => {});
  check(new URL(page.url()).pathname.endsWith("/" + SEARCH.page), `search: the result led to ${page.url()}`);
  const found = await page.locator(`[id="${SEARCH.query}"]`).count();
  check(found === 1, `search: the page reached has ${found} elements with id ${SEARCH.query}`);
}
for (const pr of problems) check(false, `search: ${pr}`);
await report("search");
console.log(`site browser test: searching "${SEARCH.query}" gives ${hrefs.length} result(s), one leads to ${SEARCH.page}`);

// 4. A clause anchor scrolls its clause into view (a fresh load, not an in-page jump).
problems = [];
await page.goto(base + "index.html", { waitUntil: "load" });
await page.goto(`${base}${CLAUSE.page}#${CLAUSE.id}`, { waitUntil: "load" });
await page.waitForTimeout(300);
const pos = await page.evaluate((id) => {
  const el = document.getElementById(id);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return { top: r.top, bottom: r.bottom, height: window.innerHeight, scrollY: window.scrollY, text: el.textContent };
}, CLAUSE.id);
check(pos !== null, `anchor: no element with id ${CLAUSE.id} on ${CLAUSE.page}`);
if (pos) {
  check(pos.scrollY > 0, `anchor: ${CLAUSE.page}#${CLAUSE.id} did not scroll (scrollY ${pos.scrollY})`);
  check(pos.top >= 0 && pos.bottom <= pos.height, `anchor: the clause is not in view (top ${pos.top}, bottom ${pos.bottom}, viewport ${pos.height})`);
  check(pos.text.includes(CLAUSE.id), `anchor: the element with id ${CLAUSE.id} reads ${JSON.stringify(pos.text)}`);
}
await page.screenshot({ path: join(shots, "clause-anchor.png") });
for (const pr of problems) check(false, `anchor: ${pr}`);
await report("clause anchor");
console.log(`site browser test: ${CLAUSE.page}#${CLAUSE.id} scrolls the clause into view (at y=${Math.round(pos.top)})`);

// 5. Screenshots: one envelope page (its top, and its generated examples) and the results page.
await page.goto(base + "ndarray.html", { waitUntil: "load" });
await page.screenshot({ path: join(shots, "envelope-ndarray.png") });
await page.goto(base + "ndarray.html#worked-examples-generated-from-the-vectors", { waitUntil: "load" });
await page.waitForTimeout(200);
await page.screenshot({ path: join(shots, "envelope-ndarray-examples.png") });
await page.goto(base + "results.html", { waitUntil: "load" });
await page.screenshot({ path: join(shots, "results.png"), fullPage: true });
await page.goto(base + "traceability.html#envelope-ndarray", { waitUntil: "load" });
await page.screenshot({ path: join(shots, "traceability.png") });
console.log(`site browser test: ${checks} checks passed; screenshots in ${shots}`);
await finish(0);
