import { describe, expect, it } from 'vitest';
import { allElements, parseXml, type XmlElement } from './__fixtures__/xml-check.js';
import { syntheticRaw } from './__fixtures__/synthetic-report.js';
import { buildCompareReport } from './internal/report-builder.js';
import { renderCharts, renderMarkdown } from './index.js';

const report = buildCompareReport(syntheticRaw());
const charts = renderCharts(report);

const texts = (root: XmlElement, className?: string): string[] =>
  allElements(root)
    .filter((e) => e.name === 'text' && (className === undefined || (e.attributes.class ?? '').split(' ').includes(className)))
    .map((e) => e.text);

describe('renderCharts', () => {
  it('draws latency, cost, agreement and quality', () => {
    expect(Object.keys(charts).sort()).toEqual(['agreement.svg', 'cost.svg', 'latency.svg', 'quality.svg']);
  });

  it.each(['latency.svg', 'cost.svg', 'agreement.svg', 'quality.svg'])('%s is well-formed SVG with a title, axis labels, a legend and readable fonts', (name) => {
    const svg = parseXml(charts[name] as string);
    expect(svg.name).toBe('svg');
    expect(svg.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(svg.attributes.viewBox).toBe('0 0 760 460');
    expect(svg.children[0]?.name).toBe('title');
    expect(svg.children[0]?.text.length).toBeGreaterThan(5);
    expect(texts(svg, 'chart-title')).toEqual([svg.children[0]?.text]);
    expect(texts(svg, 'x-axis-label')).toHaveLength(1);
    expect(texts(svg, 'y-axis-label')).toHaveLength(1);
    expect([...texts(svg, 'x-axis-label'), ...texts(svg, 'y-axis-label')].every((t) => t.trim().length > 3)).toBe(true);
    const legend = allElements(svg).find((e) => e.attributes.class === 'legend');
    expect(legend && texts(legend).length).toBeGreaterThan(0);
    // Every text at 11 px or more; nothing that runs or loads anything.
    for (const e of allElements(svg)) {
      if (e.attributes['font-size'] !== undefined) expect(Number(e.attributes['font-size'])).toBeGreaterThanOrEqual(11);
      expect(['script', 'image', 'foreignObject', 'use']).not.toContain(e.name);
      expect(Object.keys(e.attributes).some((a) => a.startsWith('on') || a === 'href' || a === 'xlink:href')).toBe(false);
    }
  });

  it('names the sides (escaped) and shows values as text', () => {
    const cost = parseXml(charts['cost.svg'] as string);
    expect(texts(cost)).toEqual(expect.arrayContaining(['A & <Co>', 'B "hosted" | v2', '$0', '$1.00']));
    expect(texts(cost, 'footnote')[0]).toBe('Calls without a known price (not included): A & <Co> 0, B "hosted" | v2 3');

    const latency = parseXml(charts['latency.svg'] as string);
    expect(texts(latency, 'group-label')).toEqual(['embed', 'rerank', 'chat', 'end to end']);
    expect(texts(latency, 'value-label')).toEqual(expect.arrayContaining(['300', '400', '200', '250']));
  });

  it('agreement: a bar per measure, threshold lines with their values, n/a where not measured, room for negative tau', () => {
    const agreement = parseXml(charts['agreement.svg'] as string);
    expect(texts(agreement, 'group-label')).toEqual(['Jaccard@10', 'Kendall tau (top k)', 'embedder recall@10', 'reranker tau', 'same citations']);
    expect(texts(agreement, 'threshold-label')).toEqual(['threshold 0.70', 'threshold 0.90', 'threshold 0.70', 'threshold 0.80']);
    expect(allElements(agreement).filter((e) => e.attributes.class === 'threshold')).toHaveLength(4);
    expect(texts(agreement, 'value-label')).toEqual(['0.50', '-1.00', 'n/a', 'n/a', '0.67']);
    expect(texts(agreement, 'tick-label')).toEqual(['-1.00', '-0.50', '0.00', '0.50', '1.00']);
  });

  it('quality: hit@k and MRR per side; no quality chart without judged questions', () => {
    const quality = parseXml(charts['quality.svg'] as string);
    expect(texts(quality, 'group-label')).toEqual(['hit@1', 'hit@5', 'hit@10', 'MRR@10']);
    expect(texts(quality, 'value-label')).toEqual(['0.00', '1.00', '1.00', '1.00', '1.00', '1.00', '0.33', '1.00']);
    expect(Object.keys(renderCharts(buildCompareReport(syntheticRaw({ evidence: false })))).sort()).toEqual(['agreement.svg', 'cost.svg', 'latency.svg']);
  });
});

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(report, charts);

  it('references the charts it is given, by file name', () => {
    expect(markdown).toContain('![Latency per operation](latency.svg)');
    expect(markdown).toContain('![Cost per 1,000 questions](cost.svg)');
    expect(markdown).toContain('![Agreement with thresholds](agreement.svg)');
    expect(markdown).toContain('![Retrieval quality](quality.svg)');
    expect(renderMarkdown(report, { 'cost.svg': '' })).not.toContain('latency.svg');
  });

  it('has the verdicts, a summary table, quality per category, notes and how to reproduce', () => {
    const sections = markdown.split('\n').filter((line) => line.startsWith('## '));
    expect(sections).toEqual(['## Verdicts', '## Summary', '## Agreement', '## Charts', '## Quality per category', '## Per question', '## Notes', '## How to reproduce']);
    expect(markdown).toContain(`| Answer generator | fail | ${report.verdicts.answers.text} |`);
    expect(markdown).toContain('| Embedder | not measured | not measured — A & <Co> has no embedder (keyword retrieval only) |');
    expect(markdown).toContain('| Cost per 1,000 questions | $0 | $1.00 |');
    expect(markdown).toContain('| End to end p50 / p95 ms | 4.0 / 6.0 | 250 / 400 |');
    // Pipes inside cells are escaped, so every table row keeps its columns.
    expect(markdown).toContain('| out \\| of scope | 0 | n/a | n/a | n/a | n/a | 1.00 (1/1) | 1.00 (1/1) |');
    expect(markdown).toContain('- A note with a | pipe.');
    expect(markdown).toContain("compareProfiles({");
    // Every row of every table has as many cells as its header.
    const cells = (line: string): number => line.split(/(?<!\\)\|/).length;
    let header: number | undefined;
    let tables = 0;
    for (const line of markdown.split('\n')) {
      if (!line.startsWith('|')) {
        header = undefined;
        continue;
      }
      if (header === undefined) {
        header = cells(line);
        tables++;
      } else expect(cells(line), line).toBe(header);
    }
    expect(tables).toBe(5);
  });
});
