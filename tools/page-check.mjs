// page-check loads a page in headless Chromium and prints what happened as
// one JSON object on stdout:
//
//   CHROMIUM=/usr/bin/chromium node page-check.mjs URL SCREENSHOT.png [SELECTOR]
//
// It waits for the load event and, when SELECTOR is given, for an element
// that matches it (at most 15 s), then saves a full-page PNG screenshot.
// The output has these keys:
//   requests     every URL the page requested, in order, the page included
//   failed       requests that failed, with the error text
//   console      console messages of type error or warning: {type, text}
//   pageErrors   uncaught exceptions
//   title        document.title
//   found        whether SELECTOR matched before the timeout
//   text         the page's visible text (document.body.innerText)
import { chromium } from 'playwright-core';

const [url, screenshot, selector] = process.argv.slice(2);
if (!url || !screenshot) {
  process.stderr.write('usage: node page-check.mjs URL SCREENSHOT.png [SELECTOR]\n');
  process.exit(2);
}

// These flags keep Chromium off the network and make it start as root in a
// container: no sandbox, no GPU, no background services that phone home.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

const out = { requests: [], failed: [], console: [], pageErrors: [], title: '', found: false, text: '' };
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('request', (r) => out.requests.push(r.url()));
  page.on('requestfailed', (r) => out.failed.push({ url: r.url(), error: r.failure()?.errorText ?? '' }));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      out.console.push({ type: m.type(), text: m.text() });
    }
  });
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));

  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  if (selector) {
    try {
      await page.waitForSelector(selector, { state: 'attached', timeout: 15000 });
      out.found = true;
    } catch {
      out.found = false;
    }
  }
  out.title = await page.title();
  out.text = await page.evaluate(() => document.body.innerText);
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
}

process.stdout.write(JSON.stringify(out) + '\n');
