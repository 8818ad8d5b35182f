// Lighthouse (mobile emulation, simulated slow 4G and a 4x slower CPU, its defaults) on the
// home, donate, about and thank-you pages in both languages, against the release binary
// on loopback with Debian's Chromium: 100 in performance, accessibility, best practices
// and SEO. Each report is kept beside the screenshots (lighthouse-<page>.json).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM, page, screenshotPath, url } from './helpers.mjs';

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const PAGES = ['', 'donate', 'about', 'success'];

let chrome;
before(async () => {
  chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    logLevel: 'silent',
  });
});
after(async () => {
  await chrome?.kill();
});

async function audit(path) {
  const result = await lighthouse(url(path), {
    port: chrome.port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: CATEGORIES,
  });
  return result.lhr;
}

/** The audits that cost points, for the failure message. */
function shortfalls(lhr) {
  const out = [];
  for (const id of CATEGORIES) {
    for (const ref of lhr.categories[id].auditRefs) {
      const a = lhr.audits[ref.id];
      if (ref.weight > 0 && a.score !== null && a.score < 1) {
        out.push(`${id}/${ref.id}: ${a.score} ${a.displayValue ?? ''} ${a.title}`);
      }
    }
  }
  return out;
}

const scores = (lhr) => Object.fromEntries(CATEGORIES.map((c) => [c, Math.round(lhr.categories[c].score * 100)]));
const PERFECT = Object.fromEntries(CATEGORIES.map((c) => [c, 100]));

for (const lang of ['en', 'ar']) {
  describe(`Lighthouse, ${lang}`, () => {
    for (const slug of PAGES) {
      const path = page(lang, slug);
      it(`${path}: 100 in every category`, async () => {
        let lhr = await audit(path);
        // Performance is timed on a shared machine: a second run before calling it a regression.
        if (lhr.categories.performance.score < 1) lhr = await audit(path);
        const name = `lighthouse-${lang}-${slug || 'home'}`;
        writeFileSync(screenshotPath(name).replace(/\.png$/, '.json'), JSON.stringify(lhr));
        assert.equal(lhr.runtimeError, undefined, JSON.stringify(lhr.runtimeError));
        assert.deepEqual(scores(lhr), PERFECT, shortfalls(lhr).join('\n'));
      });
    }
  });
}
