// The Zakat calculator (issue 31), served because run.sh lists a fund `zakat` with gold at
// 300 and silver at 4 a gram: the worked examples with JavaScript (the result follows the
// typing, computed by assets/app.js) and without (the form's GET answered by the server),
// in both languages, on a phone and a desktop, axe clean; the live result is the server's
// to the character; "Give this as Zakat" lands on the donate form with the amount and the
// Zakat fund chosen.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  LANGS,
  assertNoProblems,
  launchBrowser,
  newContext,
  openPage,
  page,
  axeClean,
  screenshot,
} from './helpers.mjs';

/** The worked examples, typed as a donor of each language types them. */
const EXAMPLES = {
  en: [
    { fields: { cash: '100,000', debts: '20000' }, nisab: 'gold', due: 'AED\u00a02,000', amount: '2000' },
    { fields: { cash: '20000' }, nisab: 'gold', due: null },
    { fields: { cash: '20,000' }, nisab: 'silver', due: 'AED\u00a0500', amount: '500' },
  ],
  ar: [
    { fields: { cash: '١٠٠٬٠٠٠', debts: '٢٠٠٠٠' }, nisab: 'gold', due: '٢٬٠٠٠\u00a0د.إ', amount: '2000' },
    { fields: { cash: '٢٠٠٠٠' }, nisab: 'gold', due: null },
    { fields: { cash: '٢٠٬٠٠٠' }, nisab: 'silver', due: '٥٠٠\u00a0د.إ', amount: '500' },
  ],
};

const BELOW = {
  en: 'Your net wealth is below the nisab, so no Zakat is due on it.',
  ar: 'صافي مالك دون النصاب، فلا زكاة عليك فيه.',
};

/** What the result says, or null while it is hidden. */
async function result(p) {
  const box = p.locator('#zakat-result');
  if (await box.isHidden()) return null;
  const give = p.locator('[data-zakat-out="give"]');
  return {
    net: await p.locator('[data-zakat-out="net"]').textContent(),
    verdict: await p.locator('[data-zakat-out="verdict"]').textContent(),
    give: (await give.isVisible()) ? await give.getAttribute('href') : null,
  };
}

async function fillExample(p, ex) {
  for (const [name, value] of Object.entries(ex.fields)) await p.locator(`#${name}`).fill(value);
  await p.locator(`input[name="nisab"][value="${ex.nisab}"]`).check();
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
    describe(`zakat calculator, ${lang}, ${viewport}`, { concurrency: false }, () => {
      it('is in the menu, and without JavaScript the server answers each worked example', async () => {
        const context = await newContext(browser, viewport, { javaScriptEnabled: false });
        try {
          const p = await openPage(context);
          await p.goto(page(lang));
          await p.locator(`nav.menu a[href="${page(lang, 'zakat')}"]`).waitFor();
          for (const [i, ex] of EXAMPLES[lang].entries()) {
            await p.goto(page(lang, 'zakat'));
            assert.equal(await result(p), null, 'no result before the form is sent');
            await fillExample(p, ex);
            await Promise.all([p.waitForURL(/\?/), p.locator('form.zakat button[type="submit"]').click()]);
            const r = await result(p);
            if (ex.due) {
              assert.ok(r.verdict.includes(ex.due), `${r.verdict} names ${ex.due}`);
              assert.equal(r.give, `${page(lang, 'donate')}?fund=zakat&amount=${ex.amount}`);
            } else {
              assert.equal(r.verdict, BELOW[lang]);
              assert.equal(r.give, null);
            }
            if (i === 0) {
              await screenshot(p, `zakat-nojs-${lang}-${viewport}`);
              // axe runs as a script, which this page cannot run (its timers never fire):
              // the same answer's markup is checked with JavaScript on, below.
            }
          }
          await assertNoProblems(context);
        } finally {
          await context.close();
        }
      });

      it('with JavaScript the result follows the typing, the same as the server says', async () => {
        const context = await newContext(browser, viewport);
        try {
          const p = await openPage(context);
          await p.goto(page(lang, 'zakat'));
          for (const ex of EXAMPLES[lang]) {
            // Fields of the previous example are emptied first: empty counts as zero.
            for (const name of ['cash', 'gold_grams', 'silver_grams', 'investments', 'receivables', 'debts']) {
              await p.locator(`#${name}`).fill('');
            }
            await fillExample(p, ex);
            const live = await result(p);
            assert.ok(live, 'the result is shown as the donor types');
            if (ex.due) {
              assert.ok(live.verdict.includes(ex.due), `${live.verdict} names ${ex.due}`);
              assert.equal(live.give, `${page(lang, 'donate')}?fund=zakat&amount=${ex.amount}`);
            } else {
              assert.equal(live.verdict, BELOW[lang]);
              assert.equal(live.give, null);
            }
            // The server's answer to the same figures, to the character.
            const query = new URLSearchParams({ ...ex.fields, nisab: ex.nisab });
            const served = await context.newPage();
            await served.goto(`${page(lang, 'zakat')}?${query}`);
            assert.deepEqual(await result(served), live);
            // The server's answer (the page a donor without JavaScript gets), axe clean.
            if (ex === EXAMPLES[lang][0]) await axeClean(served, `zakat answered by the server (${lang}, ${viewport})`);
            await served.close();
          }
          await screenshot(p, `zakat-js-${lang}-${viewport}`);
          await axeClean(p, `zakat with JavaScript (${lang}, ${viewport})`);
          await assertNoProblems(context);
        } finally {
          await context.close();
        }
      });

      it('"Give this as Zakat" lands on the donate form with the amount and the Zakat fund chosen', async () => {
        const context = await newContext(browser, viewport);
        try {
          const p = await openPage(context);
          await p.goto(page(lang, 'zakat'));
          await fillExample(p, EXAMPLES[lang][0]);
          await Promise.all([
            p.waitForURL((u) => u.pathname === page(lang, 'donate')),
            p.locator('[data-zakat-out="give"]').click(),
          ]);
          assert.equal(await p.locator('#amount').inputValue(), '2000');
          assert.ok(await p.locator('input[name="fund"][value="zakat"]').isChecked());
          await assertNoProblems(context);
        } finally {
          await context.close();
        }
      });
    });
  }
}
