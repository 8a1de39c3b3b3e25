/**
 * Re-renders a results file's Markdown and SVG (and re-checks its targets) after the report code
 * changes, without measuring again: `node --import tsx bench/render.ts bench/results/<date>.json`.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { plotSvg } from './plot.ts';
import { evaluate, markdown, type Results } from './report.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: bench/render.ts bench/results/<date>.json');
const results = JSON.parse(readFileSync(path, 'utf8')) as Results;
results.targets = evaluate(results);
const dir = dirname(path);
const name = basename(path, '.json');
writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, `${name}.md`), `${markdown(results, `${name}.svg`)}\n`);
writeFileSync(
  join(dir, `${name}.svg`),
  plotSvg(
    results.memory?.points ?? [],
    `${results.machine.cpuModel}, Node ${results.machine.node}, ${results.machine.date}`,
  ),
);
if (process.argv.includes('--latest')) {
  for (const ext of ['json', 'svg']) copyFileSync(join(dir, `${name}.${ext}`), join(dir, `latest.${ext}`));
  writeFileSync(join(dir, 'latest.md'), `${markdown(results, 'latest.svg')}\n`);
}
console.log(`re-rendered ${name}`);
