// The Lighthouse performance score of the home, donate, about and thank-you pages in both
// languages, with the machine's load beside each (the score follows the CPU: simulated
// throttling multiplies the tasks it observes). A benchmark: it reports, never fails on a
// score. Run by benches/lighthouse.sh; the report goes to LIGHTHOUSE_REPORT.

import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { after, before, it } from 'node:test';
import { page } from './helpers.mjs';
import { PAGES, audit, launch, scores } from './lighthouse.mjs';

const TIMED = ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'speed-index', 'cumulative-layout-shift'];
const rows = [];
let chrome;
before(async () => {
  chrome = await launch();
});
after(async () => {
  await chrome?.kill();
  const lines = [
    `# Lighthouse ${rows[0]?.version ?? ''}, mobile, simulated slow 4G and 4x CPU slowdown; ${cpus().length} cores`,
    `${'page'.padEnd(14)} ${'perf'.padStart(4)} ${'a11y'.padStart(4)} ${'bp'.padStart(4)} ${'seo'.padStart(4)}   ${TIMED.map((t) => t.replace(/-/g, ' ').replace('cumulative layout shift', 'CLS')).join(' | ')} | load (1 min) before/after`,
    ...rows.map(
      (r) =>
        `${r.path.padEnd(14)} ${String(r.scores.performance).padStart(4)} ${String(r.scores.accessibility).padStart(4)} ${String(r.scores['best-practices']).padStart(4)} ${String(r.scores.seo).padStart(4)}   ${r.timed.join(' | ')} | ${r.load[0].toFixed(2)}/${r.load[1].toFixed(2)}`,
    ),
  ];
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);
  if (process.env.LIGHTHOUSE_REPORT) writeFileSync(process.env.LIGHTHOUSE_REPORT, text);
});

for (const lang of ['en', 'ar']) {
  for (const slug of PAGES) {
    const path = page(lang, slug);
    it(`${path}: performance score measured`, async () => {
      const before = loadavg()[0];
      const lhr = await audit(chrome, path);
      rows.push({
        path,
        version: lhr.lighthouseVersion,
        scores: scores(lhr),
        timed: lhr.runtimeError
          ? [`Lighthouse could not measure the page: ${lhr.runtimeError.code}`]
          : TIMED.map((id) => lhr.audits[id]?.displayValue ?? '-'),
        load: [before, loadavg()[0]],
      });
    });
  }
}
