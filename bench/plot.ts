import type { MemoryPoint } from './memory.ts';

const COLORS: Record<MemoryPoint['tool'], string> = {
  logvault: '#1f77b4',
  'zstd-cli': '#2ca02c',
  'gzip-6': '#d62728',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function sizeLabel(bytes: number): string {
  const mib = bytes / 1024 / 1024;
  return mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

/** One panel: a log-size x axis, a linear y axis from 0, one polyline per tool. */
function panel(
  points: MemoryPoint[],
  value: (p: MemoryPoint) => number,
  title: string,
  unit: string,
  x0: number,
): string {
  const w = 420;
  const h = 280;
  const left = x0 + 60;
  const top = 40;
  const pw = w - 80;
  const ph = h - 90;
  const sizes = [...new Set(points.map((p) => p.bytes))].sort((a, b) => a - b);
  const lx = (b: number) => Math.log2(b);
  const [minX, maxX] = [lx(sizes[0] ?? 1), lx(sizes.at(-1) ?? 2)];
  const maxY = Math.max(...points.map(value)) * 1.15 || 1;
  const sx = (b: number) => left + (maxX === minX ? pw / 2 : ((lx(b) - minX) / (maxX - minX)) * pw);
  const sy = (v: number) => top + ph - (v / maxY) * ph;
  const parts: string[] = [
    `<text x="${left + pw / 2}" y="${top - 18}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#333"/>`,
    `<text x="${left - 45}" y="${top + ph / 2}" transform="rotate(-90 ${left - 45} ${top + ph / 2})" text-anchor="middle">${esc(unit)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 4) * i;
    parts.push(
      `<line x1="${left}" y1="${sy(v)}" x2="${left + pw}" y2="${sy(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="11">${v.toFixed(0)}</text>`,
    );
  }
  for (const s of sizes) {
    parts.push(
      `<text x="${sx(s)}" y="${top + ph + 18}" text-anchor="middle" font-size="11">${sizeLabel(s)}</text>`,
    );
  }
  parts.push(
    `<text x="${left + pw / 2}" y="${top + ph + 38}" text-anchor="middle" font-size="12">object size (log scale)</text>`,
  );
  for (const tool of Object.keys(COLORS) as MemoryPoint['tool'][]) {
    const pts = points.filter((p) => p.tool === tool).sort((a, b) => a.bytes - b.bytes);
    if (!pts.length) continue;
    const color = COLORS[tool];
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${sx(p.bytes).toFixed(1)},${sy(value(p)).toFixed(1)}`).join(' ')}"/>`,
      ...pts.map(
        (p) =>
          `<circle cx="${sx(p.bytes).toFixed(1)}" cy="${sy(value(p)).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${tool} ${sizeLabel(p.bytes)}: ${value(p).toFixed(1)} ${unit}`)}</title></circle>`,
      ),
    );
  }
  return parts.join('\n');
}

/** Throughput and peak RSS against object size, for logvault, the zstd CLI and gzip-6, as an SVG. */
export function plotSvg(points: MemoryPoint[], subtitle: string): string {
  const legend = (Object.keys(COLORS) as MemoryPoint['tool'][])
    .map(
      (t, i) =>
        `<rect x="${60 + i * 200}" y="318" width="14" height="4" fill="${COLORS[t]}"/><text x="${80 + i * 200}" y="324" font-size="12">${t === 'logvault' ? 'logvault (zstd-3 + encrypt + verify)' : t === 'gzip-6' ? 'Node gzip-6 + encrypt' : 'zstd -3 -T1 CLI'}</text>`,
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="360" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
${panel(points, (p) => p.mbPerS, 'Throughput, one pinned core', 'MB/s', 0)}
${panel(points, (p) => p.peakRssMiB, 'Peak RSS', 'MiB', 430)}
${legend}
<text x="430" y="350" text-anchor="middle" font-size="11" fill="#555">${esc(subtitle)}</text>
</svg>
`;
}
