// Every page, in both languages and at both viewports: a full-page screenshot, and axe-core
// finds no serious or critical accessibility violation.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  LANGS,
  SCREENSHOT_DIR,
  assertNoProblems,
  formatViolations,
  launchBrowser,
  newContext,
  openPage,
  page,
  runAxe,
  screenshot,
  startCheckout,
} from './helpers.mjs';

/** How to reach each page; `go` returns the expected status. */
const PAGES = [
  { name: 'home', go: (p, lang) => p.goto(page(lang)) },
  { name: 'donate', go: (p, lang) => p.goto(page(lang, 'donate')) },
  {
    name: 'donate-invalid',
    allow: [{ status: 422, path: '/donate' }],
    go: async (p, lang) => {
      await p.goto(page(lang, 'donate'));
      await p.locator('#amount').fill('abc');
      await Promise.all([p.waitForURL((u) => u.pathname === '/donate'), p.locator('form.donate button[type="submit"]').click()]);
      await p.locator('#amount-error').waitFor();
      return null;
    },
  },
  { name: 'about', go: (p, lang) => p.goto(page(lang, 'about')) },
  { name: 'contact', go: (p, lang) => p.goto(page(lang, 'contact')) },
  { name: 'success', go: (p, lang) => p.goto(page(lang, 'success')) },
  { name: 'error', go: (p, lang) => p.goto(page(lang, 'error')) },
  {
    name: '404',
    status: 404,
    allow: [{ status: 404, path: /\/no-such-page\/$/ }],
    go: (p, lang) => p.goto(`${page(lang)}no-such-page/`),
  },
  { name: 'checkout', go: async (p, lang) => p.goto(await startCheckout(lang)) },
];

const SERIOUS = new Set(['serious', 'critical']);
const findings = [];

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  console.log(`\nScreenshots: ${SCREENSHOT_DIR}`);
  if (findings.length) {
    console.log('\naxe-core findings (all impacts):\n' + findings.join('\n'));
  }
});

for (const viewport of ['desktop', 'phone']) {
  for (const lang of Object.keys(LANGS)) {
    describe(`pages, ${lang}, ${viewport}: screenshot and axe-core`, { concurrency: false }, () => {
      for (const pg of PAGES) {
        it(`${pg.name}`, async () => {
          const context = await newContext(browser, viewport);
          try {
            const p = await openPage(context, { allow: pg.allow ?? [] });
            const res = await pg.go(p, lang);
            if (res) assert.equal(res.status(), pg.status ?? 200, `status of ${p.url()}`);
            await p.waitForLoadState('load');
            assert.equal(await p.locator('html').getAttribute('lang'), lang);
            await screenshot(p, `${pg.name}-${lang}-${viewport}`);
            const violations = await runAxe(p);
            const where = `${pg.name} (${new URL(p.url()).pathname}, ${lang}, ${viewport})`;
            if (violations.length) findings.push(formatViolations(where, violations));
            const serious = violations.filter((v) => SERIOUS.has(v.impact));
            assert.equal(serious.length, 0, `serious or critical axe-core violations:\n${formatViolations(where, serious)}`);
            await assertNoProblems(context);
          } finally {
            await context.close();
          }
        });
      }
    });
  }
}
