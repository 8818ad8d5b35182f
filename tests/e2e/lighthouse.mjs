// Lighthouse (mobile emulation, simulated slow 4G and a 4x slower CPU, its defaults) run on
// the release binary on loopback with Debian's Chromium: shared by the test
// (lighthouse.test.mjs, what does not depend on the machine's speed) and the benchmark
// (lighthouse.bench.mjs, the performance score, which does).

import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM, url } from './helpers.mjs';

export const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
// The calculator is served because run.sh starts the server with a fund `zakat`.
export const PAGES = ['', 'donate', 'about', 'success', 'zakat'];

/** A headless Chromium for Lighthouse; call `kill()` when done. */
export function launch() {
  return chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    logLevel: 'silent',
  });
}

/** Lighthouse's report (`lhr`) of one page. */
export async function audit(chrome, path) {
  const result = await lighthouse(url(path), {
    port: chrome.port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: CATEGORIES,
  });
  return result.lhr;
}

/** Each category's score out of 100. */
export const scores = (lhr) =>
  Object.fromEntries(CATEGORIES.map((c) => [c, Math.round(lhr.categories[c].score * 100)]));
