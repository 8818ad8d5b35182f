// Page weight: what the browser transfers for each page on a first visit (cold cache), as
// the DevTools protocol counts it (Network.loadingFinished encodedDataLength: headers and
// body as sent). Budgets: the HTML fits the first round trip (14 KiB), HTML + CSS + JS stay
// under 30 KiB, and a page needs at most 4 requests.

import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LANGS, SCREENSHOT_DIR, assertNoProblems, launchBrowser, newContext, openPage, page, startCheckout } from './helpers.mjs';

const HTML_BUDGET = 14 * 1024;
const CODE_BUDGET = 30 * 1024;
const REQUEST_BUDGET = 4;

const PAGES = [
  { name: 'home', path: async (l) => page(l) },
  { name: 'donate', path: async (l) => page(l, 'donate') },
  { name: 'about', path: async (l) => page(l, 'about') },
  { name: 'contact', path: async (l) => page(l, 'contact') },
  { name: 'success', path: async (l) => page(l, 'success') },
  { name: 'error', path: async (l) => page(l, 'error') },
  { name: '404', path: async (l) => `${page(l)}no-such-page/`, status: 404 },
  { name: 'checkout', path: (l) => startCheckout(l) },
];

const rows = [];

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  const table = formatTable(rows);
  console.log(`\nPage weight (bytes transferred on a first visit, headers included):\n${table}`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, 'page-weight.txt');
  writeFileSync(file, table + '\n');
  console.log(`(also in ${file})`);
});

/** Loads `target` in a fresh context and returns every request the page made, with sizes. */
async function measure(target, allow) {
  const context = await newContext(browser, 'desktop');
  try {
    const p = await openPage(context, { allow });
    const cdp = await context.newCDPSession(p);
    const all = [];
    const requests = new Map();
    cdp.on('Network.requestWillBeSent', (e) => {
      if (e.request.url.startsWith('data:')) return;
      const prev = requests.get(e.requestId);
      if (prev && e.redirectResponse) {
        // A redirect reuses the request id: each hop is a request of its own.
        prev.status = e.redirectResponse.status;
        prev.bytes = e.redirectResponse.encodedDataLength;
      }
      const r = { url: e.request.url, type: e.type, bytes: 0, status: 0, encoding: '', acceptEncoding: '' };
      all.push(r);
      requests.set(e.requestId, r);
    });
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
      const r = requests.get(e.requestId);
      const ae = Object.entries(e.headers).find(([k]) => k.toLowerCase() === 'accept-encoding');
      if (r && ae) r.acceptEncoding = ae[1];
    });
    cdp.on('Network.responseReceived', (e) => {
      const r = requests.get(e.requestId);
      if (!r) return;
      r.type = e.type;
      r.status = e.response.status;
      const ce = Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === 'content-encoding');
      r.encoding = ce ? ce[1] : 'identity';
    });
    cdp.on('Network.loadingFinished', (e) => {
      const r = requests.get(e.requestId);
      if (r) r.bytes = e.encodedDataLength;
    });
    await cdp.send('Network.enable');
    const res = await p.goto(target);
    // Wait for late requests (the favicon); the home page's first refresh comes only after 5 s.
    await p.waitForLoadState('networkidle');
    await assertNoProblems(context);
    return { status: res.status(), requests: all };
  } finally {
    await context.close();
  }
}

for (const lang of Object.keys(LANGS)) {
  describe(`page weight, ${lang}`, { concurrency: false }, () => {
    for (const pg of PAGES) {
      it(pg.name, async () => {
        const target = await pg.path(lang);
        const allow = pg.status ? [{ status: pg.status, path: target }] : [];
        const { status, requests } = await measure(target, allow);
        assert.equal(status, pg.status ?? 200, `status of ${target}`);
        const sum = (types) => requests.filter((r) => types.includes(r.type)).reduce((n, r) => n + r.bytes, 0);
        const doc = requests.find((r) => r.type === 'Document');
        const row = {
          page: `${pg.name} (${lang})`,
          html: sum(['Document']),
          css: sum(['Stylesheet']),
          js: sum(['Script']),
          other: requests.filter((r) => !['Document', 'Stylesheet', 'Script'].includes(r.type)).reduce((n, r) => n + r.bytes, 0),
          requests: requests.length,
          encoding: doc?.encoding ?? '?',
          acceptEncoding: doc?.acceptEncoding ?? '?',
          list: requests.map((r) => `${r.type} ${new URL(r.url).pathname} ${r.bytes}`),
        };
        row.code = row.html + row.css + row.js;
        rows.push(row);
        const detail = `\n  ${row.list.join('\n  ')}`;
        assert.ok(row.html <= HTML_BUDGET, `${row.page}: HTML ${row.html} B > ${HTML_BUDGET} B${detail}`);
        assert.ok(row.code <= CODE_BUDGET, `${row.page}: HTML+CSS+JS ${row.code} B > ${CODE_BUDGET} B${detail}`);
        assert.ok(row.requests <= REQUEST_BUDGET, `${row.page}: ${row.requests} requests > ${REQUEST_BUDGET}${detail}`);
      });
    }
  });
}

function formatTable(list) {
  const head = ['page', 'HTML', 'CSS', 'JS', 'HTML+CSS+JS', 'other', 'requests', 'HTML encoding'];
  const body = list.map((r) => [r.page, r.html, r.css, r.js, r.code, r.other, r.requests, r.encoding].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 1) + '-' : '-'.repeat(w + 1) + ':')).join('|') + '|';
  const accept = [...new Set(list.map((r) => r.acceptEncoding))].join(' / ');
  return [
    line(head),
    sep,
    ...body.map(line),
    '',
    `Budgets: HTML <= ${HTML_BUDGET} B, HTML+CSS+JS <= ${CODE_BUDGET} B, requests <= ${REQUEST_BUDGET}. ` +
      `Chromium sent Accept-Encoding: ${accept || '?'}.`,
  ].join('\n');
}
