// The waiting page of a donor in line for a checkout, on a server of its own whose gate
// lets one checkout through a second (the suite's main server has no line): in both
// languages, on a phone and a desktop, with and without JavaScript. The donor submits
// the form, lands on the waiting page (axe-core clean, announced politely), and is moved
// on to the checkout by the page's own Refresh header (no script needed).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  LANGS,
  assertNoProblems,
  formatViolations,
  launchBrowser,
  newContext,
  openPage,
  page,
  press,
  runAxe,
  screenshot,
} from './helpers.mjs';

/** What the waiting page says; mirrors `[wait]` in pages/<lang>/site.toml. */
const WAIT = {
  en: { title: 'You’re in line to pay', now: 'Check now' },
  ar: { title: 'أنت في الطابور للدفع', now: 'تحقّق الآن' },
};

let browser;
let server;
let base;
let folder;

before(async () => {
  const bin = process.env.SERVER_BIN;
  assert.ok(bin, 'SERVER_BIN is set by run.sh');
  folder = mkdtempSync(path.join(os.tmpdir(), 'fundraiser-e2e-wait-'));
  server = spawn(bin, ['serve', '--bind', '127.0.0.1:0'], {
    cwd: folder,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      RUST_LOG: 'warn,fundraiser=info',
      FUNDRAISER_SANDBOX__SECRET: 'e2e-wait-secret',
      FUNDRAISER_SANDBOX__REQUESTS_PER_SECOND: '1',
      FUNDRAISER_SANDBOX__BURST: '1',
      FUNDRAISER_SANDBOX__QUEUE_WAIT: '0s',
      FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE: '0',
      FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP: '0',
    },
  });
  base = await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`the server did not listen:\n${log}`)), 10_000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const m = log.replace(/\x1b\[[0-9;]*m/g, '').match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${log}`)));
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

/** Donations started without a browser, so that the next donor waits in line. */
async function fillTheLine(lang, n) {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${base}/donate`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ lang, preset: '50' }).toString(),
    });
    assert.equal(res.status, 303);
  }
}

for (const viewport of ['phone', 'desktop']) {
  for (const lang of Object.keys(LANGS)) {
    for (const javaScriptEnabled of [true, false]) {
      const js = javaScriptEnabled ? 'with JavaScript' : 'without JavaScript';
      describe(`waiting page, ${lang}, ${viewport}, ${js}`, { concurrency: false }, () => {
        it('keeps the donor in line, then moves on to the checkout by itself', async () => {
          const context = await newContext(browser, viewport, { javaScriptEnabled });
          try {
            const p = await openPage(context);
            await p.goto(`${base}${page(lang, 'donate')}`);
            // Long enough a line that the page refreshes every 5 s while it is examined.
            await fillTheLine(lang, 9);
            const waitPath = lang === 'ar' ? /^\/ar\/donate\/wait\/[\w-]+$/ : /^\/donate\/wait\/[\w-]+$/;
            await Promise.all([
              p.waitForURL((u) => waitPath.test(u.pathname)),
              press(p.locator('form.donate button[type="submit"]'), viewport),
            ]);
            assert.equal(await p.locator('html').getAttribute('lang'), lang);
            assert.equal(await p.locator('h1').innerText(), WAIT[lang].title);
            const status = p.locator('[role="status"][aria-live="polite"]');
            assert.match(await status.innerText(), lang === 'ar' ? /[٠-٩]/ : /\d+ seconds?/);
            assert.equal(await p.getByRole('link', { name: WAIT[lang].now }).count(), 1);
            await screenshot(p, `wait-${lang}-${viewport}-${javaScriptEnabled ? 'js' : 'nojs'}`);
            // axe-core runs as a script: checked with JavaScript on. The page has no script
            // of its own, so the donor without JavaScript gets the very same document.
            if (javaScriptEnabled) {
              const violations = await runAxe(p);
              const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
              assert.equal(serious.length, 0, formatViolations(p.url(), serious));
            } else {
              assert.equal(await p.locator('script').count(), 0, 'no script on the waiting page');
            }
            // The Refresh header brings the donor to the checkout once it is ready.
            await p.waitForURL((u) => /^\/sandbox\/checkout\/[\w-]+$/.test(u.pathname), { timeout: 30_000 });
            await assertNoProblems(context);
          } finally {
            await context.close();
          }
        });
      });
    }
  }
}
