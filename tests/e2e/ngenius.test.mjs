// The donor's journey through N-Genius Online, in English and Arabic: the real server
// (gateway.kind = "ngenius", started here) against a small fake of N-Genius's API and
// hosted payment page on loopback, also started here. Donate → N-Genius's page in the
// donor's language → pay → the thank-you page, the total grown; or decline → "Try again".

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LANGS, assertNoProblems, expectPath, launchBrowser, newContext, openPage, page, press, toMinor } from './helpers.mjs';

const OUTLET = 'e2e-outlet';
const KEY = 'e2e-ngenius-key';

/** A fake N-Genius: tokens, orders, their status, and a payment page that pays or declines. */
function startFake() {
  const orders = new Map();
  const fake = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://fake');
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const json = (status, v) => {
        res.writeHead(status, { 'content-type': 'application/vnd.ni-payment.v2+json' });
        res.end(JSON.stringify(v));
      };
      const base = `http://127.0.0.1:${fake.address().port}`;
      const asJson = (o) => ({
        reference: o.reference,
        merchantOrderReference: o.body.merchantOrderReference,
        amount: o.body.amount,
        _links: { payment: { href: `${base}/paypage/?code=${o.reference}` } },
        _embedded: { payment: [{ state: o.state, amount: o.body.amount }] },
      });
      if (u.pathname === '/identity/auth/access-token') {
        if (req.headers.authorization !== `Basic ${KEY}`) return json(401, {});
        return json(200, { access_token: 'e2e-token', expires_in: 300 });
      }
      if (u.pathname === '/favicon.ico') {
        res.writeHead(204);
        return res.end();
      }
      if (u.pathname === '/paypage/') {
        const o = orders.get(u.searchParams.get('code'));
        if (!o) return json(404, {});
        const outcome = u.searchParams.get('outcome');
        if (outcome) {
          o.state = outcome === 'pay' ? 'PURCHASED' : 'FAILED';
          res.writeHead(302, { location: `${o.body.merchantAttributes.redirectUrl}?ref=${o.reference}` });
          return res.end();
        }
        const lang = o.body.language;
        const words = lang === 'ar' ? ['ادفع', 'ارفض'] : ['Pay', 'Decline'];
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(
          `<!doctype html><html lang="${lang}" dir="${lang === 'ar' ? 'rtl' : 'ltr'}"><title>N-Genius</title>` +
            `<p id="amount">${o.body.amount.currencyCode} ${o.body.amount.value}</p>` +
            `<form action="/paypage/"><input type="hidden" name="code" value="${o.reference}">` +
            `<button name="outcome" value="pay">${words[0]}</button>` +
            `<button name="outcome" value="decline">${words[1]}</button></form></html>`,
        );
      }
      if (req.headers.authorization !== 'Bearer e2e-token') return json(401, {});
      const ordersPath = `/transactions/outlets/${OUTLET}/orders`;
      if (req.method === 'POST' && u.pathname === ordersPath) {
        const reference = `e2e-${orders.size + 1}-${Date.now()}`;
        const o = { reference, body: JSON.parse(body), state: 'STARTED' };
        orders.set(reference, o);
        return json(201, asJson(o));
      }
      const o = orders.get(u.pathname.slice(ordersPath.length + 1));
      if (req.method === 'GET' && o) return json(200, asJson(o));
      return json(404, {});
    });
  });
  return new Promise((resolve) => fake.listen(0, '127.0.0.1', () => resolve({ fake, orders })));
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let browser;
let server;
let fake;
let orders;
let base;
let folder;

before(async () => {
  const bin = process.env.SERVER_BIN;
  assert.ok(bin, 'SERVER_BIN is set by run.sh');
  ({ fake, orders } = await startFake());
  const fakeBase = `http://127.0.0.1:${fake.address().port}`;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  folder = mkdtempSync(path.join(os.tmpdir(), 'fundraiser-e2e-ngenius-'));
  server = spawn(bin, ['serve', '--bind', `127.0.0.1:${port}`], {
    cwd: folder,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      RUST_LOG: 'warn,fundraiser=info',
      FUNDRAISER_GATEWAY__KIND: 'ngenius',
      FUNDRAISER_NGENIUS__API_KEY: KEY,
      FUNDRAISER_NGENIUS__OUTLET_REF: OUTLET,
      FUNDRAISER_NGENIUS__API_BASE: fakeBase,
      FUNDRAISER_NGENIUS__PAYPAGE_ORIGIN: fakeBase,
      FUNDRAISER_SERVER__PUBLIC_URL: base,
      FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE: '0',
      FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP: '0',
    },
  });
  await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`the server did not listen:\n${log}`)), 10_000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      if (/listening on http:\/\//.test(log.replace(/\x1b\[[0-9;]*m/g, ''))) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${log}`)));
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
  fake?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

async function raisedMinor() {
  const res = await fetch(`${base}/api/total`, { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200);
  return (await res.json()).raised_minor;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const lang of ['en', 'ar']) {
  describe(`N-Genius, ${lang}`, () => {
    for (const outcome of ['pay', 'decline']) {
      it(`donate → N-Genius's page in ${lang} → ${outcome}`, async () => {
        const context = await newContext(browser, 'desktop');
        try {
          const p = await openPage(context);
          await p.goto(base + page(lang, 'donate'));
          const preset = p.locator('label.preset').first();
          const value = await preset.locator('input[name="preset"]').getAttribute('value');
          const before = await raisedMinor();
          await press(preset, 'desktop');
          await press(p.getByRole('button', { name: LANGS[lang].submit, exact: true }), 'desktop');
          // On N-Genius's page (the CSP's form-action let the form's redirect go there),
          // in the donor's language, for the amount chosen.
          await p.waitForURL(/\/paypage\/\?code=/);
          assert.equal(await p.locator('html').getAttribute('lang'), lang);
          const order = [...orders.values()].at(-1);
          assert.equal(order.body.language, lang);
          assert.equal(order.body.amount.value, toMinor(value, order.body.amount.currencyCode));
          const words = lang === 'ar' ? { pay: 'ادفع', decline: 'ارفض' } : { pay: 'Pay', decline: 'Decline' };
          await p.getByRole('button', { name: words[outcome], exact: true }).click();
          const slug = outcome === 'pay' ? 'success' : 'error';
          await p.waitForURL(new RegExp(`^${escape(base + page(lang, slug))}`));
          await expectPath(p, new RegExp(`^${escape(page(lang, slug))}$`));
          const grown = outcome === 'pay' ? order.body.amount.value : 0;
          assert.equal(await raisedMinor(), before + grown);
          await assertNoProblems(context);
        } finally {
          await context.close();
        }
      });
    }
  });
}
