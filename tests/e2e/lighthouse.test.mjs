// Lighthouse on the home, donate, about and thank-you pages in both languages: 100 in
// accessibility, best practices and SEO, and every performance audit that measures the
// page rather than the machine (bytes, requests, render-blocking resources, layout shift,
// images, unused code) passed. The performance score itself follows the CPU (simulated
// throttling multiplies the tasks it observes), so it is a benchmark
// (benches/lighthouse.sh), never a test. Each report is kept beside the screenshots
// (lighthouse-<page>.json).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { page, screenshotPath } from './helpers.mjs';
import { PAGES, audit, launch, scores } from './lighthouse.mjs';

/** Categories whose score depends on the page alone. */
const WHOLE = ['accessibility', 'best-practices', 'seo'];

/**
 * Performance audits that measure what the page is, not how fast this machine ran it
 * (and the render-blocking resources, read below).
 * Left out on purpose: the timed metrics (first and largest paint, blocking time, speed
 * index, interactive), server response time, main-thread and boot-up time, long tasks.
 */
export const PAGE_AUDITS = [
  'cumulative-layout-shift',
  'layout-shifts',
  'total-byte-weight',
  'network-requests',
  'uses-text-compression',
  'unused-css-rules',
  'unused-javascript',
  'unminified-css',
  'unminified-javascript',
  'duplicated-javascript',
  'legacy-javascript',
  'uses-optimized-images',
  'modern-image-formats',
  'uses-responsive-images',
  'offscreen-images',
  'efficient-animated-content',
  'unsized-images',
  'largest-contentful-paint-element',
  'lcp-lazy-loaded',
  'prioritize-lcp-image',
  'non-composited-animations',
  'font-display',
  'dom-size',
  'redirects',
  'no-document-write',
  'uses-passive-event-listeners',
  'viewport',
];

/**
 * What may block the first render: the site's one stylesheet, and nothing else (scripts
 * are deferred, nothing comes from another site). Lighthouse scores this audit by savings
 * it estimates from its simulation, so the test reads the resources it lists instead.
 */
const MAY_BLOCK = /^\/assets\/site\.[0-9a-f]+\.css$/;

function blocking(lhr) {
  const a = lhr.audits['render-blocking-resources'];
  return (a?.details?.items ?? []).map((i) => new URL(i.url).pathname).filter((p) => !MAY_BLOCK.test(p));
}

/** An audit passes when Lighthouse shows it green, or has nothing to score. */
const passed = (a) => a.score === null || a.score >= 0.9;

/** The audits that fall short, for the failure message. */
function shortfalls(lhr) {
  const out = [];
  for (const id of WHOLE) {
    for (const ref of lhr.categories[id].auditRefs) {
      const a = lhr.audits[ref.id];
      if (ref.weight > 0 && !passed(a)) out.push(`${id}/${ref.id}: ${a.score} ${a.title}`);
    }
  }
  for (const id of PAGE_AUDITS) {
    const a = lhr.audits[id];
    if (a && !passed(a)) out.push(`performance/${id}: ${a.score} ${a.displayValue ?? ''} ${a.title}`);
  }
  for (const path of blocking(lhr)) out.push(`performance/render-blocking-resources: ${path} blocks the first render`);
  return out;
}

let chrome;
before(async () => {
  chrome = await launch();
});
after(async () => {
  await chrome?.kill();
});

for (const lang of ['en', 'ar']) {
  describe(`Lighthouse, ${lang}`, () => {
    for (const slug of PAGES) {
      const path = page(lang, slug);
      it(`${path}: 100 in accessibility, best practices and SEO; every page-measuring performance audit passed`, async () => {
        // A busy machine can make Lighthouse lose its own trace (NO_NAVSTART): that is
        // the tool failing, not the page, so it measures again (at most twice more).
        let lhr = await audit(chrome, path);
        for (let again = 0; again < 2 && lhr.runtimeError; again++) lhr = await audit(chrome, path);
        const name = `lighthouse-${lang}-${slug || 'home'}`;
        writeFileSync(screenshotPath(name).replace(/\.png$/, '.json'), JSON.stringify(lhr));
        assert.equal(lhr.runtimeError, undefined, JSON.stringify(lhr.runtimeError));
        const missing = [...PAGE_AUDITS, 'render-blocking-resources'].filter((id) => !(id in lhr.audits));
        assert.deepEqual(missing, [], 'audits this Lighthouse no longer reports');
        const whole = Object.fromEntries(WHOLE.map((c) => [c, scores(lhr)[c]]));
        assert.deepEqual(whole, Object.fromEntries(WHOLE.map((c) => [c, 100])), shortfalls(lhr).join('\n'));
        assert.deepEqual(shortfalls(lhr), []);
      });
    }
  });
}
