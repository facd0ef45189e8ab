/**
 * Small SVG charts for the dashboard: column charts (one or several series), plus the little
 * horizontal bars used for retrieval scores and budgets.
 *
 * Everything is drawn with SVG attributes and CSS classes (colours come from styles.css), never
 * with style attributes, so it works under the page's strict Content-Security-Policy. Every bar
 * carries a <title> with its exact value; each chart on the page also has a table beside it for
 * screen readers and copying.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Width used when a chart's container is hidden (its tab is not shown) and has no size yet. */
const FALLBACK_WIDTH = 480;

/**
 * Creates an SVG element with attributes and optional text content.
 * @param {string} name
 * @param {Record<string, string | number | undefined>} [attrs]
 * @param {string} [text]
 * @returns {SVGElement}
 */
export function svg(name, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * An axis from 0 to a "nice" maximum (1, 2, 2.5 or 5 × 10^k steps) covering `max`.
 * @param {number} max largest value to show
 * @param {{ ticks?: number, integer?: boolean }} [options] `integer` keeps steps whole (counts)
 * @returns {{ max: number, step: number }}
 */
export function niceScale(max, { ticks = 4, integer = false } = {}) {
  if (!(max > 0)) return { max: integer ? ticks : 1, step: integer ? 1 : 1 / ticks };
  const rough = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / magnitude;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  let step = nice * magnitude;
  if (integer) step = Math.max(1, Math.ceil(step));
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

/**
 * A column chart: one group of bars per label, one bar per series.
 *
 * @param {object} options
 * @param {number} options.width pixel width to draw at (the SVG also scales through its viewBox)
 * @param {string} options.title accessible name of the chart
 * @param {string[]} options.labels short label per group, shown on the x axis
 * @param {string[]} [options.fullLabels] label per group used in tooltips; default `labels`
 * @param {Array<{ name: string, values: Array<number | null>, className?: string }>} options.series
 * @param {(value: number) => string} [options.formatValue] for tooltips
 * @param {(value: number) => string} [options.formatTick] for the y axis; default `formatValue`
 * @param {string} [options.xLabel] x axis title
 * @param {string} [options.yLabel] y axis title
 * @param {boolean} [options.integer] whole-number axis steps (counts)
 * @returns {SVGSVGElement}
 */
export function columnChart({ width, title, labels, fullLabels = labels, series, formatValue = String, formatTick = formatValue, xLabel, yLabel, integer = false }) {
  const height = Math.round(Math.min(300, Math.max(190, width * 0.5)));
  const root = /** @type {SVGSVGElement} */ (
    svg('svg', { class: 'chart-svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}. The same data is in the table below the chart.` })
  );

  const values = series.flatMap((s) => s.values).filter((v) => typeof v === 'number' && Number.isFinite(v));
  const scale = niceScale(Math.max(0, ...values), { integer });
  const ticks = [];
  for (let t = 0; t <= scale.max + scale.step / 2; t += scale.step) ticks.push(t);

  // Margins: room for the y tick labels (about 7 px per character at 12 px), the axis titles and the legend.
  const tickWidth = Math.max(...ticks.map((t) => formatTick(t).length)) * 7;
  const margin = { top: series.length > 1 ? 30 : 14, right: 12, bottom: xLabel ? 44 : 28, left: tickWidth + (yLabel ? 30 : 12) };
  const plotWidth = Math.max(40, width - margin.left - margin.right);
  const plotHeight = Math.max(40, height - margin.top - margin.bottom);
  const y = (value) => margin.top + plotHeight - (value / scale.max) * plotHeight;

  // Grid lines and y tick labels.
  const grid = svg('g', { class: 'chart-grid' });
  for (const t of ticks) {
    const ty = y(t);
    grid.append(svg('line', { x1: margin.left, x2: margin.left + plotWidth, y1: ty, y2: ty, class: t === 0 ? 'chart-axis' : 'chart-gridline' }));
    grid.append(svg('text', { x: margin.left - 6, y: ty, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'chart-tick' }, formatTick(t)));
  }
  root.append(grid);

  if (labels.length === 0 || series.length === 0) {
    root.append(svg('text', { x: margin.left + plotWidth / 2, y: margin.top + plotHeight / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'No data yet'));
  }

  // Bars: each group takes an equal slot; bars fill 80% of it.
  const slot = labels.length ? plotWidth / labels.length : plotWidth;
  const barWidth = Math.max(1, (slot * 0.8) / Math.max(1, series.length));
  const bars = svg('g', { class: 'chart-bars' });
  labels.forEach((_, i) => {
    series.forEach((s, j) => {
      const value = s.values[i];
      if (typeof value !== 'number' || !Number.isFinite(value)) return;
      const x = margin.left + i * slot + slot * 0.1 + j * barWidth;
      // A non-zero value gets at least one pixel so it does not look like zero.
      const barHeight = value > 0 ? Math.max(1, plotHeight - (y(value) - margin.top)) : 0;
      const rect = svg('rect', {
        x: x.toFixed(1),
        y: (margin.top + plotHeight - barHeight).toFixed(1),
        width: Math.max(1, barWidth - 1).toFixed(1),
        height: barHeight.toFixed(1),
        class: `chart-bar ${s.className ?? `series-${j}`}`,
        'data-value': value,
      });
      rect.append(svg('title', {}, `${fullLabels[i]} · ${s.name}: ${formatValue(value)}`));
      bars.append(rect);
    });
  });
  root.append(bars);

  // X labels: skip some when they would overlap (14 dates on a phone).
  const labelWidth = Math.max(1, ...labels.map((l) => l.length)) * 6.5 + 8;
  const every = Math.max(1, Math.ceil(labelWidth / slot));
  const xLabels = svg('g', { class: 'chart-xlabels' });
  labels.forEach((label, i) => {
    if (i % every !== 0) return;
    xLabels.append(svg('text', { x: margin.left + i * slot + slot / 2, y: margin.top + plotHeight + 16, 'text-anchor': 'middle', class: 'chart-tick' }, label));
  });
  root.append(xLabels);

  if (xLabel) root.append(svg('text', { x: margin.left + plotWidth / 2, y: height - 6, 'text-anchor': 'middle', class: 'chart-axis-label' }, xLabel));
  if (yLabel) {
    const cx = 12;
    const cy = margin.top + plotHeight / 2;
    root.append(svg('text', { x: cx, y: cy, transform: `rotate(-90 ${cx} ${cy})`, 'text-anchor': 'middle', 'dominant-baseline': 'middle', class: 'chart-axis-label' }, yLabel));
  }

  if (series.length > 1) {
    const legend = svg('g', { class: 'chart-legend' });
    let x = margin.left;
    series.forEach((s, j) => {
      legend.append(svg('rect', { x, y: 8, width: 10, height: 10, class: `chart-bar ${s.className ?? `series-${j}`}` }));
      legend.append(svg('text', { x: x + 14, y: 13, 'dominant-baseline': 'middle', class: 'chart-tick' }, s.name));
      x += 14 + s.name.length * 7 + 16;
    });
    root.append(legend);
  }
  return root;
}

/**
 * A thin horizontal bar showing `fraction` (0–1) of a track, for scores and budgets.
 * Decorative: put the number itself next to it as text.
 * @param {number} fraction
 * @param {string} [className] extra class, e.g. `over` for a spent budget
 * @returns {SVGSVGElement}
 */
export function fractionBar(fraction, className = '') {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const root = /** @type {SVGSVGElement} */ (svg('svg', { class: `fraction-bar ${className}`.trim(), viewBox: '0 0 100 8', preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' }));
  root.append(svg('rect', { x: 0, y: 0, width: 100, height: 8, rx: 3, class: 'fraction-track' }));
  if (f > 0) root.append(svg('rect', { x: 0, y: 0, width: Math.max(2, f * 100).toFixed(1), height: 8, rx: 3, class: 'fraction-fill' }));
  return root;
}

/** Last width each mounted chart was drawn at, and how to draw it. */
const mounted = new WeakMap();
const resizeObserver = typeof ResizeObserver === 'function' ? new ResizeObserver((entries) => entries.forEach((e) => redraw(e.target))) : undefined;

/**
 * Draws a chart into `container` and redraws it when the container's width changes (a phone
 * rotating, or the dashboard tab being shown for the first time).
 * @param {Element} container
 * @param {(width: number) => Element} draw returns the chart for a pixel width
 */
export function mountChart(container, draw) {
  mounted.set(container, { draw, width: -1 });
  resizeObserver?.observe(container);
  redraw(container);
}

function redraw(container) {
  const entry = mounted.get(container);
  if (!entry) return;
  const width = Math.floor(container.clientWidth);
  if (width === entry.width) return;
  // Hidden (width 0) after having been drawn: keep the drawing until it is shown again.
  if (width === 0 && entry.width > 0) return;
  entry.width = width;
  container.replaceChildren(entry.draw(width || FALLBACK_WIDTH));
}
