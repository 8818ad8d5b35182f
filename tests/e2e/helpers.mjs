// Shared helpers of the browser end-to-end tests: the browser, the server's address,
// the site's strings, and the watchers that fail a test on console errors, failed
// requests and Content-Security-Policy violations.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

export const BASE_URL = (process.env.BASE_URL || '').replace(/\/$/, '');
if (!BASE_URL) {
  throw new Error('BASE_URL is not set: run the suite through tests/e2e/run.sh');
}

export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '/tmp/fundraiser-e2e-screenshots';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Launches Debian's Chromium, headless. One browser per test file. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};

/** What the tests need to know of each language; mirrors pages/<lang>/site.toml. */
export const LANGS = {
  en: {
    dir: 'ltr',
    home: '/',
    donateCta: 'Donate now',
    submit: 'Donate',
    pay: 'Pay',
    decline: 'Decline',
    tryAgain: 'Try again',
    backHome: 'Back to the campaign',
    notANumber: 'Please type the amount as a number, for example 50 or 12.50.',
    customAmount: '37.5',
    customAmountShown: 'AED\u00a037.50',
    currency: 'AED',
  },
  ar: {
    dir: 'rtl',
    home: '/ar/',
    donateCta: 'تبرّع الآن',
    submit: 'تبرّع',
    pay: 'ادفع',
    decline: 'ارفض',
    tryAgain: 'حاول مرة أخرى',
    backHome: 'العودة إلى الحملة',
    notANumber: 'يرجى كتابة المبلغ أرقامًا، مثل ٥٠ أو ١٢٫٥٠.',
    // Typed with Arabic-Indic digits and the Arabic decimal separator, as an Arabic keyboard does.
    customAmount: '٣٧٫٥',
    customAmountShown: '٣٧٫٥٠\u00a0د.إ',
    currency: 'د.إ',
  },
};

/**
 * A site-wide text of the campaign (`charity`, `campaign`, ...) as pages/<lang>/site.toml
 * writes it, so the tests follow a charity that renames itself. Reads the file's top-level
 * `key = "value"` lines (the TOML basic strings these keys use).
 */
export function siteText(lang, key) {
  const file = new URL(`../../pages/${lang}/site.toml`, import.meta.url);
  const top = readFileSync(file, 'utf8').split(/^\[/m)[0];
  const line = top.split('\n').find((l) => l.startsWith(`${key} = "`));
  assert.ok(line, `${key} in pages/${lang}/site.toml`);
  return JSON.parse(line.slice(key.length + 3).trim());
}

export const OTHER_LANG = { en: 'ar', ar: 'en' };

/** A page's path in a language: `page('ar', 'donate')` is `/ar/donate/`. */
export function page(lang, slug = '') {
  const home = LANGS[lang].home;
  return slug ? `${home}${slug}/` : home;
}

export const url = (p) => BASE_URL + p;

/** Minor units per major unit of the campaign currencies. */
const EXPONENT = { AED: 2, SAR: 2, QAR: 2, USD: 2, EUR: 2, JPY: 0, KWD: 3, BHD: 3, OMR: 3 };

/** `"37.5"` or `"٣٧٫٥"` in minor units of `currency`. */
export function toMinor(amount, currency) {
  const western = String(amount)
    .replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace('٫', '.')
    .replace(/[,٬]/g, '');
  const exponent = EXPONENT[currency] ?? 2;
  return Math.round(Number(western) * 10 ** exponent);
}

/** The server's current total, as `/api/total` gives it (Node's fetch keeps no cache). */
export async function getTotal() {
  const res = await fetch(url('/api/total'), { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200, '/api/total answers 200');
  return res.json();
}

/** Starts a donation without a browser and returns its sandbox checkout path. */
export async function startCheckout(lang, preset = '50') {
  const res = await fetch(url('/donate'), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ lang, preset }).toString(),
  });
  assert.equal(res.status, 303, 'POST /donate answers 303');
  const location = new URL(res.headers.get('location'), BASE_URL);
  assert.match(location.pathname, /^\/sandbox\/checkout\/[\w-]+$/);
  return location.pathname;
}

/**
 * A browser context for one viewport. Unless JavaScript is off, every page in it records
 * `securitypolicyviolation` events in `window.__cspViolations` and reports them to `problems`.
 */
export async function newContext(browser, viewportName, { javaScriptEnabled = true } = {}) {
  const context = await browser.newContext({
    ...VIEWPORTS[viewportName],
    javaScriptEnabled,
    baseURL: BASE_URL,
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const problems = [];
  context.problems = problems;
  context.aborted = [];
  context.javaScriptEnabled = javaScriptEnabled;
  if (javaScriptEnabled) {
    await context.exposeBinding('__reportCspViolation', ({ page: p }, v) => {
      problems.push(`CSP violation on ${p.url()}: ${JSON.stringify(v)}`);
    });
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        const v = {
          directive: e.violatedDirective,
          blocked: e.blockedURI,
          source: e.sourceFile,
          line: e.lineNumber,
          sample: e.sample,
        };
        window.__cspViolations.push(v);
        if (typeof window.__reportCspViolation === 'function') window.__reportCspViolation(v);
      });
    });
  }
  return context;
}

/**
 * Opens a page that records every problem: console errors, messages about the
 * Content-Security-Policy, failed requests and answers with status >= 400 other than
 * those in `allow` (a list of `{ status, path }`, path optional: a RegExp or a string).
 */
export async function openPage(context, { allow = [] } = {}) {
  const p = await context.newPage();
  const problems = context.problems;
  const allowed = (status, where) =>
    allow.some(
      (a) =>
        a.status === status &&
        (a.path === undefined || (a.path instanceof RegExp ? a.path.test(where) : a.path === where)),
    );
  p.on('console', (msg) => {
    const text = msg.text();
    if (/Content[- ]Security[- ]Policy/i.test(text)) {
      problems.push(`CSP console message on ${p.url()}: ${text}`);
      return;
    }
    if (msg.type() !== 'error') return;
    // Chromium logs every answer >= 400 as an error; those are judged by status below.
    const status = /the server responded with a status of (\d+)/.exec(text);
    if (status) {
      const where = msg.location()?.url ? new URL(msg.location().url).pathname : '';
      if (allowed(Number(status[1]), where)) return;
    }
    problems.push(`console error on ${p.url()}: ${text} (${msg.location()?.url || ''})`);
  });
  p.on('pageerror', (err) => problems.push(`uncaught exception on ${p.url()}: ${err.message}`));
  // A request still running when the page goes elsewhere is aborted by the browser (the
  // favicon, typically): not a failure. Whether the page went elsewhere after the request
  // started is known only later, so aborted requests are judged in assertNoProblems.
  let navigations = 0;
  const startedAt = new WeakMap();
  p.on('framenavigated', (frame) => {
    if (frame === p.mainFrame()) navigations++;
  });
  p.on('request', (req) => startedAt.set(req, navigations));
  p.on('requestfailed', (req) => {
    const what = `request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`;
    if (req.failure()?.errorText === 'net::ERR_ABORTED' && !req.isNavigationRequest()) {
      const started = startedAt.get(req) ?? navigations;
      context.aborted.push(() => (navigations > started || p.isClosed() ? null : what));
    } else {
      problems.push(what);
    }
  });
  p.on('response', (res) => {
    if (res.status() < 400) return;
    const where = new URL(res.url()).pathname;
    if (allowed(res.status(), where)) return;
    problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
  });
  return p;
}

/** Fails when anything went wrong in the context's pages so far. */
export async function assertNoProblems(context) {
  const found = [...context.problems, ...context.aborted.map((judge) => judge()).filter(Boolean)];
  if (context.javaScriptEnabled) {
    for (const p of context.pages()) {
      if (p.isClosed()) continue;
      const recorded = await p.evaluate(() => window.__cspViolations).catch(() => undefined);
      for (const v of recorded ?? []) found.push(`CSP violation on ${p.url()}: ${JSON.stringify(v)}`);
    }
  }
  assert.deepEqual([...new Set(found)], [], 'no console errors, failed requests or CSP violations');
}

/** Clicks as the device would: a tap on a touch screen, a mouse click elsewhere. */
export async function press(locator, viewportName) {
  if (VIEWPORTS[viewportName].hasTouch) await locator.tap();
  else await locator.click();
}

/** Waits for a navigation to a path matching `re` and checks it. */
export async function expectPath(p, re) {
  await p.waitForURL((u) => re.test(u.pathname));
  assert.match(new URL(p.url()).pathname, re);
}

/** Presses Tab until the focused element matches `selector`; fails after `max` presses. */
export async function tabUntil(p, selector, max = 40) {
  for (let i = 0; i < max; i++) {
    await p.keyboard.press('Tab');
    if (await p.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i + 1;
  }
  assert.fail(`${selector} never got the focus after ${max} presses of Tab on ${p.url()}`);
}

export function screenshotPath(name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return path.join(SCREENSHOT_DIR, `${name}.png`);
}

export async function screenshot(p, name) {
  await p.screenshot({ path: screenshotPath(name), fullPage: true });
}

let axeSource;

/**
 * Runs axe-core in the page and returns its violations. The script is evaluated through the
 * DevTools protocol, which the page's Content-Security-Policy does not govern.
 */
export async function runAxe(p) {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await p.evaluate(() => typeof window.axe === 'object'))) await p.evaluate(axeSource);
  return p.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, impact: n.impact, failureSummary: n.failureSummary })),
    }));
  });
}

/** Human-readable text of axe violations, every node with its target and summary. */
/** Fails on any serious or critical axe violation of the page `where` names. */
export async function axeClean(p, where) {
  const serious = (await runAxe(p)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.equal(serious.length, 0, formatViolations(where, serious));
}

export function formatViolations(where, violations) {
  return violations
    .map(
      (v) =>
        `[${v.impact}] ${v.id} on ${where}: ${v.help} (${v.helpUrl})\n` +
        v.nodes
          .map((n) => `    ${JSON.stringify(n.target)} ${n.html}\n      ${(n.failureSummary || '').replace(/\n/g, '\n      ')}`)
          .join('\n'),
    )
    .join('\n');
}
