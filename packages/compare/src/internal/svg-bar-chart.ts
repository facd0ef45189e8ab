/** Text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A series of bars (one bar per group), e.g. one side. */
export interface BarSeries {
  name: string;
  color: string;
}

/** A group of bars along the x axis, one value per series (`null`: not measured, drawn as "n/a"). */
export interface BarGroup {
  label: string;
  values: Array<number | null>;
  /** A dashed line across the group, e.g. a verdict threshold. */
  threshold?: { value: number; label: string };
}

/** Options of {@link svgBarChart}. */
export interface BarChartOptions {
  /** The chart's `<title>` and heading. */
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: BarSeries[];
  groups: BarGroup[];
  /** Value labels and tick labels. */
  format: (value: number) => string;
  /** Lowest y value. @default min(0, lowest value) */
  min?: number;
  /** Highest y value. @default a round number above the highest value (or threshold) */
  max?: number;
  /** A line of small print under the chart. */
  footnote?: string;
}

const WIDTH = 760;
const HEIGHT = 460;
const PLOT = { left: 90, right: WIDTH - 24, top: 96, bottom: 350 };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

/** The smallest of 1, 2, 2.5, 5 × 10^n at or above `value`. */
function roundUp(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const n = (value: number): string => (Math.round(value * 10) / 10).toString();

/**
 * A grouped bar chart as a standalone SVG document: fixed viewBox, a `<title>`, a heading, both
 * axes with labels and ticks, a legend, each bar's value as text, optional threshold lines. No
 * scripts, no external resources, fonts of at least 11 px.
 */
export function svgBarChart(options: BarChartOptions): string {
  const values = options.groups.flatMap((g) => g.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const thresholds = options.groups.flatMap((g) => (g.threshold ? [g.threshold.value] : []));
  const min = options.min ?? Math.min(0, ...values);
  const max = options.max ?? roundUp(Math.max(0, ...values, ...thresholds) * 1.1);
  const span = max - min || 1;
  const y = (value: number): number => PLOT.bottom - ((Math.min(max, Math.max(min, value)) - min) / span) * (PLOT.bottom - PLOT.top);
  const baseline = y(Math.max(min, Math.min(max, 0)));
  const out: string[] = [];
  const text = (x: number, yy: number, content: string, attrs = ''): string =>
    `<text x="${n(x)}" y="${n(yy)}" ${attrs}>${escapeXml(content)}</text>`;

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="chart-title" ${FONT}>`,
    `<title id="chart-title">${escapeXml(options.title)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(WIDTH / 2, 30, options.title, 'class="chart-title" text-anchor="middle" font-size="18" font-weight="600" fill="#111111"'),
  );
  if (options.subtitle) out.push(text(WIDTH / 2, 52, options.subtitle, 'class="chart-subtitle" text-anchor="middle" font-size="12" fill="#444444"'));

  // Legend, centred under the heading.
  const itemWidths = options.series.map((s) => 24 + s.name.length * 7.2 + 18);
  let lx = (WIDTH - itemWidths.reduce((a, b) => a + b, 0)) / 2;
  out.push('<g class="legend">');
  options.series.forEach((s, i) => {
    out.push(`<rect x="${n(lx)}" y="66" width="14" height="14" fill="${s.color}"/>`);
    out.push(text(lx + 20, 78, s.name, 'font-size="12" fill="#222222"'));
    lx += itemWidths[i] as number;
  });
  out.push('</g>');

  // Y axis with five ticks and light grid lines.
  out.push('<g class="y-axis">');
  for (let i = 0; i <= 4; i++) {
    const value = min + (span * i) / 4;
    const yy = y(value);
    out.push(`<line x1="${PLOT.left}" y1="${n(yy)}" x2="${PLOT.right}" y2="${n(yy)}" stroke="#e3e3e3" stroke-width="1"/>`);
    out.push(text(PLOT.left - 8, yy + 4, options.format(value), 'class="tick-label" text-anchor="end" font-size="11" fill="#444444"'));
  }
  out.push(`<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${PLOT.bottom}" stroke="#333333" stroke-width="1"/>`);
  out.push('</g>');
  const yMid = (PLOT.top + PLOT.bottom) / 2;
  out.push(text(22, yMid, options.yLabel, `class="axis-label y-axis-label" text-anchor="middle" font-size="13" fill="#222222" transform="rotate(-90 22 ${n(yMid)})"`));

  // Bars.
  const groupWidth = (PLOT.right - PLOT.left) / Math.max(1, options.groups.length);
  const barWidth = Math.min(56, (groupWidth * 0.72) / Math.max(1, options.series.length));
  out.push('<g class="bars">');
  options.groups.forEach((group, gi) => {
    const gx = PLOT.left + gi * groupWidth;
    const first = gx + (groupWidth - barWidth * options.series.length) / 2;
    group.values.forEach((value, si) => {
      const x = first + si * barWidth;
      const series = options.series[si];
      if (!series) return;
      if (value === null || !Number.isFinite(value)) {
        out.push(text(x + barWidth / 2, baseline - 6, 'n/a', 'class="value-label" text-anchor="middle" font-size="11" fill="#666666"'));
        return;
      }
      const top = Math.min(y(value), baseline);
      const height = Math.max(1, Math.abs(baseline - y(value)));
      out.push(
        `<rect x="${n(x + 2)}" y="${n(top)}" width="${n(barWidth - 4)}" height="${n(height)}" fill="${series.color}"><title>${escapeXml(`${series.name}, ${group.label}: ${options.format(value)}`)}</title></rect>`,
      );
      const labelY = value >= 0 ? y(value) - 5 : y(value) + 14;
      out.push(text(x + barWidth / 2, labelY, options.format(value), 'class="value-label" text-anchor="middle" font-size="11" fill="#111111"'));
    });
    if (group.threshold) {
      const ty = y(group.threshold.value);
      out.push(
        `<line class="threshold" x1="${n(gx + 6)}" y1="${n(ty)}" x2="${n(gx + groupWidth - 6)}" y2="${n(ty)}" stroke="#c62828" stroke-width="2" stroke-dasharray="6 4"/>`,
      );
      out.push(text(gx + groupWidth - 6, ty - 5, group.threshold.label, 'class="threshold-label" text-anchor="end" font-size="11" fill="#c62828"'));
    }
    out.push(text(gx + groupWidth / 2, PLOT.bottom + 22, group.label, 'class="group-label" text-anchor="middle" font-size="12" fill="#222222"'));
  });
  out.push('</g>');

  // X axis at the baseline.
  out.push(`<line class="x-axis" x1="${PLOT.left}" y1="${n(baseline)}" x2="${PLOT.right}" y2="${n(baseline)}" stroke="#333333" stroke-width="1"/>`);
  out.push(text((PLOT.left + PLOT.right) / 2, PLOT.bottom + 54, options.xLabel, 'class="axis-label x-axis-label" text-anchor="middle" font-size="13" fill="#222222"'));
  if (options.footnote) out.push(text(WIDTH / 2, HEIGHT - 16, options.footnote, 'class="footnote" text-anchor="middle" font-size="11" fill="#555555"'));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
