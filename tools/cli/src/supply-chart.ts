import { baseUnitsPerWhole } from '@ionet/ledger';

export interface SupplyPoint {
  /** Years since epoch 1 began. */
  readonly years: number;
  readonly supplyBaseUnits: bigint;
}

const WIDTH = 900;
const HEIGHT = 500;
const MARGIN = { left: 90, right: 30, top: 50, bottom: 60 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A hand-written SVG line chart of total supply (genesis + emitted) over the schedule. The y axis runs
 * from 500M to 800M IO; numbers are only turned into floats here, for drawing.
 */
export function supplyChartSvg(points: readonly SupplyPoint[], title: string): string {
  const io = baseUnitsPerWhole('IO');
  const yMin = 500_000_000;
  const yMax = 800_000_000;
  const xMax = Math.max(20, Math.ceil(points.at(-1)?.years ?? 20));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (years: number) => MARGIN.left + (years / xMax) * plotWidth;
  const y = (millionsIo: number) => MARGIN.top + plotHeight - ((millionsIo - yMin) / (yMax - yMin)) * plotHeight;
  const lines: string[] = [];
  lines.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  lines.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  lines.push(`<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="16">${escapeXml(title)}</text>`);
  for (let m = yMin; m <= yMax; m += 50_000_000) {
    lines.push(`<line x1="${MARGIN.left}" y1="${y(m).toFixed(1)}" x2="${WIDTH - MARGIN.right}" y2="${y(m).toFixed(1)}" stroke="#ddd"/>`);
    lines.push(`<text x="${MARGIN.left - 8}" y="${(y(m) + 4).toFixed(1)}" text-anchor="end">${m / 1_000_000}M</text>`);
  }
  for (let year = 0; year <= xMax; year += 2) {
    lines.push(`<line x1="${x(year).toFixed(1)}" y1="${MARGIN.top}" x2="${x(year).toFixed(1)}" y2="${HEIGHT - MARGIN.bottom}" stroke="#eee"/>`);
    lines.push(`<text x="${x(year).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${year}</text>`);
  }
  lines.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 15}" text-anchor="middle">years since 2024-04-28 (epoch 1)</text>`);
  lines.push(`<text x="20" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 20 ${MARGIN.top + plotHeight / 2})">total supply (IO)</text>`);
  lines.push(`<line x1="${MARGIN.left}" y1="${y(yMax).toFixed(1)}" x2="${WIDTH - MARGIN.right}" y2="${y(yMax).toFixed(1)}" stroke="#c00" stroke-dasharray="6 4"/>`);
  lines.push(`<text x="${WIDTH - MARGIN.right}" y="${(y(yMax) - 6).toFixed(1)}" text-anchor="end" fill="#c00">cap 800M</text>`);
  const path = points
    .map((p) => {
      // Whole IO stays below 2^53, so it converts to a number exactly; only pixels are floats.
      const wholeIo = Number(p.supplyBaseUnits / io);
      return `${x(p.years).toFixed(2)},${y(wholeIo).toFixed(2)}`;
    })
    .join(' ');
  lines.push(`<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="${path}"/>`);
  lines.push('</svg>');
  return `${lines.join('\n')}\n`;
}
