// The donor's journeys, in English and Arabic, on a desktop and on a phone. They run one
// after the other (they read and change the one shared total), each in a fresh context.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  LANGS,
  OTHER_LANG,
  assertNoProblems,
  expectPath,
  getTotal,
  launchBrowser,
  newContext,
  openPage,
  page,
  press,
  tabUntil,
  toMinor,
} from './helpers.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Runs `body` in a fresh context and fails on any problem the pages recorded. */
async function journey(viewport, options, body) {
  const context = await newContext(browser, viewport, options);
  try {
    await body(context);
    await assertNoProblems(context);
  } finally {
    await context.close();
  }
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Matches exactly the path of a page: `pathRe('ar', 'donate')` matches `/ar/donate/`. */
const pathRe = (lang, slug = '') => new RegExp(`^${escape(page(lang, slug))}$`);
const CHECKOUT = /^\/sandbox\/checkout\/[\w-]+$/;

async function htmlLangDir(p) {
  const html = p.locator('html');
  return [await html.getAttribute('lang'), await html.getAttribute('dir')];
}

async function text(locator) {
  return ((await locator.textContent()) ?? '').trim();
}

/** Chooses a preset by its label, donates, and returns what was chosen. */
async function donatePreset(p, lang, viewport, index) {
  const L = LANGS[lang];
  await expectPath(p, pathRe(lang, 'donate'));
  const preset = p.locator('label.preset').nth(index);
  const radio = preset.locator('input[name="preset"]');
  const value = await radio.getAttribute('value');
  const label = await text(preset);
  assert.equal(await radio.isChecked(), false, `preset ${value} is not chosen before the click`);
  await press(preset, viewport);
  assert.equal(await radio.isChecked(), true, `clicking the label "${label}" chooses preset ${value}`);
  assert.equal(await p.locator('input[name="preset"]:checked').count(), 1);
  await press(p.getByRole('button', { name: L.submit, exact: true }), viewport);
  await expectPath(p, CHECKOUT);
  return { value, label, minor: toMinor(value, 'AED') };
}

/** On the sandbox checkout: checks the amount, presses a button, and lands on `slug`. */
async function checkout(p, lang, viewport, { shown, outcome, slug }) {
  const L = LANGS[lang];
  assert.deepEqual(await htmlLangDir(p), [lang, L.dir]);
  assert.equal(await text(p.locator('#checkout-amount')), shown);
  await press(p.getByRole('button', { name: outcome === 'pay' ? L.pay : L.decline, exact: true }), viewport);
  await expectPath(p, pathRe(lang, slug));
}

/** The amount raised and the progress bar of a home page, as shown. */
async function tally(p) {
  return {
    raised: await text(p.locator('.tally [data-live="raised"]')),
    value: Number(await p.locator('#progress').getAttribute('value')),
    max: Number(await p.locator('#progress').getAttribute('max')),
  };
}

function expectedTally(total, lang) {
  return {
    raised: total.display[lang].raised,
    value: Math.min(total.raised_minor, total.goal_minor),
    max: total.goal_minor,
  };
}

// The preset each run chooses: never the one already chosen when the page opens (the second).
const PRESET = { desktop: { en: 0, ar: 2 }, phone: { en: 3, ar: 0 } };

// Pages with a language switch, and where the switch leads; a missing page leads home.
const SWITCH_PAGES = [
  { name: 'home', from: (l) => page(l), to: (l) => page(l) },
  { name: 'donate', from: (l) => page(l, 'donate'), to: (l) => page(l, 'donate') },
  { name: 'about', from: (l) => page(l, 'about'), to: (l) => page(l, 'about') },
  { name: 'contact', from: (l) => page(l, 'contact'), to: (l) => page(l, 'contact') },
  { name: 'success', from: (l) => page(l, 'success'), to: (l) => page(l, 'success') },
  { name: 'error', from: (l) => page(l, 'error'), to: (l) => page(l, 'error') },
  { name: '404', from: (l) => `${page(l)}no-such-page/`, to: (l) => page(l), status: 404 },
];

for (const viewport of ['desktop', 'phone']) {
  for (const lang of ['en', 'ar']) {
    const L = LANGS[lang];
    const other = OTHER_LANG[lang];

    describe(`journeys, ${lang}, ${viewport}`, { concurrency: false }, () => {
      it('1. the home page shows the amount raised and leads to the donate page', async () => {
        await journey(viewport, {}, async (context) => {
          const p = await openPage(context);
          const total = await getTotal();
          await p.goto(page(lang));
          assert.deepEqual(await htmlLangDir(p), [lang, L.dir]);
          assert.ok(await p.locator('.tally [data-live="raised"]').isVisible(), 'the amount raised is visible');
          assert.ok(await p.locator('#progress').isVisible(), 'the progress bar is visible');
          assert.deepEqual(await tally(p), expectedTally(total, lang));
          const cta = p.locator('section.hero').getByRole('link', { name: L.donateCta, exact: true });
          await press(cta, viewport);
          await expectPath(p, pathRe(lang, 'donate'));
          assert.equal(await p.locator('form.donate').count(), 1, 'the donate form is there');
          assert.equal(await p.locator('label.preset').count() > 0, true, 'with preset amounts');
        });
      });

      it('2. a preset donation, paid, raises the total by exactly its amount', async () => {
        await journey(viewport, {}, async (context) => {
          const before = await getTotal();
          // A second tab shows the home page while the donor pays in the first.
          const watcher = await openPage(context);
          await watcher.goto(page(lang));
          assert.deepEqual(await tally(watcher), expectedTally(before, lang));

          const p = await openPage(context);
          await p.goto(page(lang));
          await press(p.locator('section.hero').getByRole('link', { name: L.donateCta, exact: true }), viewport);
          const chosen = await donatePreset(p, lang, viewport, PRESET[viewport][lang]);
          await checkout(p, lang, viewport, { shown: chosen.label, outcome: 'pay', slug: 'success' });
          assert.deepEqual(await htmlLangDir(p), [lang, L.dir]);
          // The thank-you page names the receipt and links to its printable page.
          const ready = p.locator('.receipt-ready');
          assert.match(await text(ready), /R-\d{6}/, 'the thank-you page names the receipt');
          const receipt = await openPage(context);
          await receipt.goto(new URL(await ready.getByRole('link').getAttribute('href'), p.url()).href);
          assert.match(await text(receipt.locator('h1')), /R-\d{6}/);
          assert.deepEqual(await htmlLangDir(receipt), [lang, L.dir]);
          assert.equal(await receipt.locator('[data-print]').isVisible(), true, 'the print button shows');
          await receipt.close();

          const after = await getTotal();
          assert.equal(after.raised_minor - before.raised_minor, chosen.minor, 'raised_minor grew by the amount');
          assert.equal(after.donations - before.donations, 1, 'one more donation');
          const want = expectedTally(after, lang);

          // (a) Without a reload: the script refreshes the other tab within a poll or two.
          await watcher
            .waitForFunction(
              (w) => {
                const raised = document.querySelector('.tally [data-live="raised"]');
                const progress = document.querySelector('#progress');
                return raised?.textContent.trim() === w.raised && progress?.value === w.value;
              },
              want,
              { timeout: 13_000, polling: 200 },
            )
            .catch(async () => {
              assert.deepEqual(await tally(watcher), want, 'the open home page refreshed the total by itself');
            });
          assert.deepEqual(await tally(watcher), want);

          // (b) After a reload of the home page reached from the thank-you page.
          await press(p.getByRole('link', { name: L.backHome, exact: true }), viewport);
          await expectPath(p, pathRe(lang));
          await p.reload();
          assert.deepEqual(await tally(p), want, 'the home page shows the new total after a reload');
        });
      });

      it('3. a custom amount typed with the keyboard only, declined, then "Try again"', async () => {
        await journey(viewport, {}, async (context) => {
          const before = await getTotal();
          const p = await openPage(context);
          await p.goto(page(lang, 'donate'));
          await tabUntil(p, '#amount');
          await p.keyboard.type(L.customAmount);
          assert.equal(await p.inputValue('#amount'), L.customAmount);
          assert.equal(await p.locator('input[name="preset"]:checked').count(), 0, 'typing clears the preset');
          await p.keyboard.press('Enter');
          await expectPath(p, CHECKOUT);
          assert.equal(await text(p.locator('#checkout-amount')), L.customAmountShown);
          await tabUntil(p, 'button[name="outcome"][value="decline"]');
          assert.equal(await p.evaluate(() => document.activeElement.textContent.trim()), L.decline);
          await p.keyboard.press('Enter');
          await expectPath(p, pathRe(lang, 'error'));
          assert.deepEqual(await htmlLangDir(p), [lang, L.dir]);
          await tabUntil(p, 'main a.cta');
          assert.equal(await p.evaluate(() => document.activeElement.textContent.trim()), L.tryAgain);
          await p.keyboard.press('Enter');
          await expectPath(p, pathRe(lang, 'donate'));
          assert.equal(await p.locator('form.donate').count(), 1);
          const after = await getTotal();
          assert.equal(after.raised_minor, before.raised_minor, 'a declined payment raises nothing');
        });
      });

      it('4. an invalid amount is refused with a message next to the field', async () => {
        await journey(viewport, {}, async (context) => {
          const p = await openPage(context, { allow: [{ status: 422, path: '/donate' }] });
          await p.goto(page(lang, 'donate'));
          const amount = p.locator('#amount');
          await press(amount, viewport);
          await p.keyboard.type('abc');
          const [res] = await Promise.all([
            p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/donate'),
            press(p.getByRole('button', { name: L.submit, exact: true }), viewport),
          ]);
          assert.equal(res.status(), 422);
          await p.waitForLoadState();
          assert.deepEqual(await htmlLangDir(p), [lang, L.dir]);
          const error = p.locator('.field:has(#amount) #amount-error.field-error');
          assert.equal(await error.count(), 1, 'the message sits in the amount field');
          assert.ok(await error.isVisible());
          assert.equal(await text(error), L.notANumber);
          assert.equal(await amount.inputValue(), 'abc', 'the typed value is kept');
          assert.equal(await amount.getAttribute('aria-invalid'), 'true');
          assert.ok(
            (await amount.getAttribute('aria-describedby')).split(/\s+/).includes('amount-error'),
            'the field is described by its message',
          );
          assert.ok(await p.locator('.error-summary[role="alert"]').isVisible(), 'a summary announces the error');
        });
      });

      it('5. the language switch of every page leads to its twin', async () => {
        await journey(viewport, {}, async (context) => {
          const p = await openPage(context, { allow: [{ status: 404, path: /\/no-such-page\/$/ }] });
          for (const s of SWITCH_PAGES) {
            const res = await p.goto(s.from(lang));
            assert.equal(res.status(), s.status ?? 200, `status of ${s.from(lang)}`);
            assert.deepEqual(await htmlLangDir(p), [lang, L.dir], `lang and dir of ${s.from(lang)}`);
            const link = p.locator('a.lang-switch');
            assert.equal(await link.getAttribute('hreflang'), other);
            assert.equal(await link.getAttribute('lang'), other);
            await press(link, viewport);
            await expectPath(p, new RegExp(`^${escape(s.to(other))}$`));
            assert.deepEqual(
              await htmlLangDir(p),
              [other, LANGS[other].dir],
              `the switch on the ${s.name} page (${s.from(lang)}) leads to ${s.to(other)}`,
            );
            if (s.to(other) === '/ar/') {
              const raised = await text(p.locator('.tally [data-live="raised"]'));
              assert.match(raised, /[٠-٩]/, 'Arabic-Indic digits in the amount raised');
              assert.ok(raised.includes('د.إ'), `the dirham sign in "${raised}"`);
              assert.doesNotMatch(raised, /[0-9]/, 'no Western digits');
            }
          }
        });
      });

      it('6. the whole donation works with JavaScript off', async () => {
        await journey(viewport, { javaScriptEnabled: false }, async (context) => {
          const before = await getTotal();
          const p = await openPage(context);
          await p.goto(page(lang));
          await press(p.locator('section.hero').getByRole('link', { name: L.donateCta, exact: true }), viewport);
          const chosen = await donatePreset(p, lang, viewport, PRESET[viewport][lang]);
          await checkout(p, lang, viewport, { shown: chosen.label, outcome: 'pay', slug: 'success' });
          const after = await getTotal();
          assert.equal(after.raised_minor - before.raised_minor, chosen.minor);
          await press(p.getByRole('link', { name: L.backHome, exact: true }), viewport);
          await expectPath(p, pathRe(lang));
          await p.reload();
          assert.deepEqual(await tally(p), expectedTally(after, lang));
        });
      });
    });
  }
}
