/**
 * pdf.js's text layer over a drawn PDF page: the page's text as transparent spans placed over
 * its glyphs (so it can be selected, searched and read by screen readers), with the cited
 * sentences and the question's words highlighted (see viewer-highlight.js).
 *
 * The layer is sized in CSS from `--total-scale-factor` (CSS pixels per PDF unit) on the element
 * holding it; {@link fitTextLayer} keeps that in step with the drawn page's width.
 */
import { shorten } from './common.js';
import { markTextLayer, pageHighlights, pageText } from './viewer-highlight.js';

/**
 * @typedef {ReturnType<typeof pageHighlights>} Highlights
 * @typedef {{ container: HTMLElement, marks: HTMLElement[], best: HTMLElement | undefined, found: Highlights, bestText: string }} HighlightedTextLayer
 */

/**
 * Builds the text layer of `page` at `viewport` (its scale does not matter: CSS sizes the
 * layer) and highlights it. `onTask` receives pdf.js's TextLayer, so a newer page can cancel it.
 * @returns {Promise<HighlightedTextLayer>}
 */
export async function renderTextLayer({ pdfjs, page, viewport, terms, cite, onTask }) {
  const content = await page.getTextContent();
  const container = document.createElement('div');
  container.className = 'textLayer';
  const layer = new pdfjs.TextLayer({ textContentSource: content, container, viewport });
  onTask?.(layer);
  await layer.render();

  const text = pageText(content.items);
  const found = pageHighlights(text, { terms, cite });
  const best = found.cited[0];
  const ranges = [...found.cited, ...found.terms, ...(best ? [{ ...best, kind: /** @type {const} */ ('best') }] : [])];
  const marks = markTextLayer(layer.textDivs, text, ranges);
  const citedTitle = found.citedBy === 'quote' ? 'Cited passage' : 'Best match for the question';
  for (const mark of marks) {
    if (mark.classList.contains('pdf-hl-cited')) mark.title = citedTitle;
    else mark.title = 'Word of the question';
  }
  return {
    container,
    marks,
    best: marks.find((m) => m.classList.contains('pdf-hl-best')),
    found,
    bestText: best ? text.text.slice(best.start, best.end) : '',
  };
}

/** Sets the scale the text layer is drawn at from the width the page is shown at. */
export function fitTextLayer(frame, pageWidth) {
  const width = frame.clientWidth;
  if (width > 0 && pageWidth > 0) frame.style.setProperty('--total-scale-factor', String(width / pageWidth));
}

const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/**
 * What the highlights on the page are, for people (and screen readers, which do not see
 * colour): the best-matching or quoted sentence in words, how many places are highlighted, and
 * how many words the page's text panel marks.
 */
export function highlightMessage(question, layer, panelMarks) {
  const words = (n) => count(n, 'word', 'words');
  const panel = question && panelMarks ? ` The page’s text below marks ${words(panelMarks)} of the question.` : '';
  if (!layer)
    return question
      ? `Highlighting words from “${question}”: ${count(panelMarks, 'match', 'matches')} in the page text below.`
      : '';
  const { found, bestText } = layer;
  const missing = found.quoteMissing ? 'The quoted passage is not in this page’s text. ' : '';
  const cited = found.cited.length;
  if (!cited && !found.terms.length)
    return question ? `${missing}No words from “${question}” are on this page.${panel}` : missing.trim();
  const best = `“${shorten(bestText, 120)}”`;
  const parts = [];
  if (found.citedBy === 'quote')
    parts.push(cited === 1 ? `the cited passage, ${best}` : `the cited passage in ${cited} places, from ${best}`);
  else if (cited)
    parts.push(
      cited === 1
        ? `the sentence that best matches the question, ${best}`
        : `${cited} sentences that match the question, the best ${best}`
    );
  if (found.otherTerms)
    parts.push(
      cited
        ? `${count(found.otherTerms, 'other word', 'other words')} of the question`
        : `${words(found.otherTerms)} of “${question}”`
    );
  return `${missing}Highlighted on the page: ${parts.join(', and ')}.${panel}`;
}
