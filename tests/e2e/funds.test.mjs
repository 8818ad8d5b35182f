// Funds (issue 31), served because run.sh lists `general` and `zakat` (with a goal): the
// donate form's fund choice with JavaScript and without, in both languages, on a phone and
// a desktop, axe clean, the sandbox checkout naming the fund chosen; the home page's
// figures per fund, refreshed with the total after a gift to Zakat.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  LANGS,
  assertNoProblems,
  getTotal,
  launchBrowser,
  newContext,
  openPage,
  page,
  axeClean,
  screenshot,
  url,
} from './helpers.mjs';

const LABELS = {
  en: { general: 'Where most needed', zakat: 'Zakat' },
  ar: { general: 'حيث الحاجة أكبر', zakat: 'زكاة' },
};

/** Gives 50 to Zakat without a browser and pays it: the totals move. */
async function giveToZakat(lang) {
  const res = await fetch(url('/donate'), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ lang, preset: '50', fund: 'zakat' }).toString(),
  });
  assert.equal(res.status, 303);
  const checkout = new URL(res.headers.get('location'), url('/')).pathname;
  const paid = await fetch(url(checkout), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=pay',
  });
  assert.equal(paid.status, 303);
  await fetch(new URL(paid.headers.get('location'), url('/')), { redirect: 'manual' });
}

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

for (const viewport of ['desktop', 'phone']) {
  for (const lang of Object.keys(LANGS)) {
    describe(`funds, ${lang}, ${viewport}`, { concurrency: false }, () => {
      for (const javaScriptEnabled of [false, true]) {
        const js = javaScriptEnabled ? 'js' : 'nojs';
        it(`the donate form offers each fund, the first chosen, and the checkout names the one chosen (${js})`, async () => {
          const context = await newContext(browser, viewport, { javaScriptEnabled });
          try {
            const p = await openPage(context);
            await p.goto(page(lang, 'donate'));
            const radios = p.locator('input[name="fund"]');
            assert.equal(await radios.count(), 2);
            assert.ok(await p.locator('input[name="fund"][value="general"]').isChecked());
            for (const [id, label] of Object.entries(LABELS[lang])) {
              assert.equal(await p.locator(`label.fund:has(input[value="${id}"]) .fund-label`).textContent(), label);
            }
            await screenshot(p, `funds-donate-${js}-${lang}-${viewport}`);
            // axe runs as a script: without JavaScript the page cannot run it (its timers
            // never fire), and the markup it would read is the same the server sent.
            if (javaScriptEnabled) await axeClean(p, `the donate form with funds (${lang}, ${viewport})`);
            // The whole card chooses its fund, as a donor taps it.
            await p.locator('label.fund:has(input[value="zakat"]) .fund-label').click();
            assert.ok(await p.locator('input[name="fund"][value="zakat"]').isChecked());
            await Promise.all([
              p.waitForURL(/\/sandbox\/checkout\//),
              p.locator('form.donate button[type="submit"]').click(),
            ]);
            assert.equal(await p.locator('#checkout-fund').textContent(), LABELS[lang].zakat);
            await assertNoProblems(context);
          } finally {
            await context.close();
          }
        });
      }

      it('a link chooses the fund and the amount', async () => {
        const context = await newContext(browser, viewport, { javaScriptEnabled: false });
        try {
          const p = await openPage(context);
          await p.goto(`${page(lang, 'donate')}?fund=zakat&amount=20`);
          assert.ok(await p.locator('input[name="fund"][value="zakat"]').isChecked());
          assert.equal(await p.locator('#amount').inputValue(), '20');
          await assertNoProblems(context);
        } finally {
          await context.close();
        }
      });

      it("the home page shows each fund's figures, refreshed with the total", async () => {
        const context = await newContext(browser, viewport);
        try {
          const p = await openPage(context);
          await p.goto(page(lang));
          const items = p.locator('.tally .fund-tally');
          assert.equal(await items.count(), 2);
          const zakat = p.locator('[data-fund="zakat"]');
          assert.equal(await zakat.locator('.fund-label').textContent(), LABELS[lang].zakat);
          // A bar only for the fund with a goal of its own.
          assert.equal(await zakat.locator('progress').count(), 1);
          assert.equal(await p.locator('[data-fund="general"] progress').count(), 0);
          await screenshot(p, `funds-home-${lang}-${viewport}`);
          await axeClean(p, `the home page with funds (${lang}, ${viewport})`);
          // A gift to Zakat elsewhere: the open page follows, as the total does.
          await giveToZakat(lang);
          const expected = (await getTotal()).funds.find((f) => f.id === 'zakat');
          const raised = zakat.locator('[data-fund-live="raised"]');
          const deadline = Date.now() + 20000;
          while ((await raised.textContent()) !== expected.display[lang].raised && Date.now() < deadline) {
            await p.waitForTimeout(250);
          }
          assert.equal(await raised.textContent(), expected.display[lang].raised);
          assert.equal(Number(await zakat.locator('progress').getAttribute('max')), expected.goal_minor);
          await assertNoProblems(context);
        } finally {
          await context.close();
        }
      });
    });
  }
}
