// Sharing after giving: the thank-you page's links to WhatsApp, X, Facebook, Telegram and
// email carry the campaign's message and address in the page's language; "copy link" puts
// the address on the clipboard; without JavaScript the links remain and the buttons that
// need it stay hidden. The server runs with `server.public_url` set to its own address
// (run.sh), so the shared address is the one the browser is on.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BASE_URL,
  assertNoProblems,
  launchBrowser,
  newContext,
  openPage,
  page,
  screenshot,
  siteText,
} from './helpers.mjs';

/** What the share section says; mirrors `campaign` and `[share]` in pages/<lang>/site.toml. */
const SHARE = {
  en: { campaign: siteText('en', 'campaign'), copy: 'Copy link', copied: 'Link copied' },
  ar: { campaign: siteText('ar', 'campaign'), copy: 'انسخ الرابط', copied: 'نُسخ الرابط' },
};
const NETWORKS = ['whatsapp', 'x', 'facebook', 'telegram', 'email'];

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Each share link's network and its parsed address, in page order. */
async function shareLinks(p) {
  return p.locator('.share a.share-link').evaluateAll((links) =>
    links.map((a) => [a.classList[1], a.getAttribute('href'), a.getAttribute('target')]),
  );
}

/** Checks the five links' encoded texts and addresses; returns the prefilled message. */
function checkLinks(links, lang) {
  const home = BASE_URL + page(lang);
  assert.deepEqual(links.map(([n]) => n), NETWORKS);
  const at = Object.fromEntries(links.map(([n, href]) => [n, new URL(href)]));
  const q = (n, key) => at[n].searchParams.get(key);
  const whatsapp = q('whatsapp', 'text');
  assert.equal(at.whatsapp.origin, 'https://wa.me');
  assert.ok(whatsapp.endsWith(` ${home}`), `WhatsApp's text ends with the address: ${whatsapp}`);
  const message = whatsapp.slice(0, -(home.length + 1));
  assert.ok(message.includes(SHARE[lang].campaign), `the message names the campaign: ${message}`);
  assert.equal(at.x.origin + at.x.pathname, 'https://x.com/intent/post');
  assert.deepEqual([q('x', 'text'), q('x', 'url')], [message, home]);
  assert.equal(at.facebook.origin + at.facebook.pathname, 'https://www.facebook.com/sharer/sharer.php');
  assert.equal(q('facebook', 'u'), home);
  assert.equal(at.telegram.origin + at.telegram.pathname, 'https://t.me/share/url');
  assert.deepEqual([q('telegram', 'url'), q('telegram', 'text')], [home, message]);
  assert.equal(at.email.protocol, 'mailto:');
  assert.ok(q('email', 'subject').includes(SHARE[lang].campaign));
  assert.equal(q('email', 'body'), `${message}\r\n\r\n${home}`);
  // The network pages open beside the thank-you page; email opens the mail program.
  for (const [n, , target] of links) assert.equal(target, n === 'email' ? null : '_blank', n);
  return message;
}

for (const lang of ['en', 'ar']) {
  describe(`sharing from the thank-you page (${lang})`, () => {
    it('links carry the message and address; copy link copies the address', async () => {
      const context = await newContext(browser, 'phone');
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
      try {
        const p = await openPage(context);
        await p.goto(page(lang, 'success'));
        checkLinks(await shareLinks(p), lang);
        const copy = p.getByRole('button', { name: SHARE[lang].copy, exact: true });
        assert.ok(await copy.isVisible(), 'the copy button shows with JavaScript');
        // Headless Chromium on Linux has no share sheet: its button stays hidden.
        assert.equal(await p.evaluate(() => 'share' in navigator), false);
        assert.equal(await p.locator('[data-share="native"]').isVisible(), false);
        await copy.click();
        await p.locator('.share-status').filter({ hasText: SHARE[lang].copied }).waitFor();
        assert.equal(await p.evaluate(() => navigator.clipboard.readText()), BASE_URL + page(lang));
        await screenshot(p, `share-${lang}-phone`);
        await assertNoProblems(context);
      } finally {
        await context.close();
      }
    });

    it("where the browser has a share sheet, its button opens it with the message and address", async () => {
      const context = await newContext(browser, 'phone');
      // A phone's share sheet, as Chromium on Android offers it: recorded, not shown.
      await context.addInitScript(() => {
        navigator.share = (data) => {
          window.__shared = data;
          return Promise.resolve();
        };
      });
      try {
        const p = await openPage(context);
        await p.goto(page(lang, 'success'));
        const message = checkLinks(await shareLinks(p), lang);
        const more = p.locator('[data-share="native"]');
        assert.ok(await more.isVisible(), 'the share-sheet button shows');
        await more.tap();
        const shared = await p.waitForFunction(() => window.__shared).then((h) => h.jsonValue());
        assert.deepEqual(
          { text: shared.text, url: shared.url },
          { text: message, url: BASE_URL + page(lang) },
        );
        assert.equal(shared.title, await p.title());
        await assertNoProblems(context);
      } finally {
        await context.close();
      }
    });

    it('without JavaScript the links remain and the buttons stay hidden', async () => {
      const context = await newContext(browser, 'phone', { javaScriptEnabled: false });
      try {
        const p = await openPage(context);
        await p.goto(page(lang, 'success'));
        checkLinks(await shareLinks(p), lang);
        for (const link of await p.locator('.share a.share-link').all()) {
          assert.ok(await link.isVisible(), 'each link shows');
        }
        assert.equal(await p.locator('.share-actions').isVisible(), false, 'no button that cannot work');
        await assertNoProblems(context);
      } finally {
        await context.close();
      }
    });
  });
}
