/**
 * The document viewer: /viewer.html?doc=<id>&page=<n>&section=<anchor>&q=<question>&cite=<quote>.
 *
 * PDFs are drawn with pdf.js (served by the app at /vendor/pdfjs/) onto a canvas that fits the
 * window's width, with pdf.js's text layer over it: on the drawn page, the cited sentences are
 * highlighted (the quote in `cite` when given, else the sentences that best match the question)
 * and the question's words more lightly, and the page scrolls to the best one. PDFs that pdf.js
 * cannot draw show the page's extracted text. Documents without pages (HTML, Markdown, text)
 * show their extracted text with its headings, scrolled to the cited section (`section`, the
 * anchor citations carry) and that section marked; never the document's own markup. The
 * question's words are highlighted in any text shown.
 *
 * Once a page is on screen, `#page-indicator` reads "Page <label> (<n> of <pages>)" and
 * `document.body.dataset.page` is `<n>`; for a section it reads "§ <title>" and
 * `document.body.dataset.section` is the anchor. Tests wait for these. For a drawn PDF page,
 * `document.body.dataset.textLayer` is then `ready` (highlighted) or `failed` (canvas only).
 */
import { describeError, getJson, h, showMessage, ApiError } from './common.js';
import { questionTerms, termPattern } from './viewer-highlight.js';
import { fitTextLayer, highlightMessage, renderTextLayer } from './viewer-text-layer.js';

const PDFJS_URL = '/vendor/pdfjs/pdf.min.mjs';
const PDFJS_WORKER_URL = '/vendor/pdfjs/pdf.worker.min.mjs';
/** Canvas size cap (pixels): phones refuse very large canvases and they eat memory. */
const MAX_CANVAS_PIXELS = 16_000_000;

/** @param {string} id */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page is missing #${id}`);
  return el;
}

const params = new URLSearchParams(location.search);
const docId = params.get('doc') ?? '';
const question = (params.get('q') ?? '').trim();
const sectionAnchor = params.get('section') ?? '';
/**
 * The cited passage's text, when the link carries it: highlighted on the cited page (the one
 * the link opens) in place of the sentences that best match the question.
 */
const citedQuote = (params.get('cite') ?? '').trim().slice(0, 4000);
const citedPage = Number(params.get('page') ?? 1);

const ui = {
  title: byId('doc-title'),
  prev: /** @type {HTMLButtonElement} */ (byId('page-prev')),
  next: /** @type {HTMLButtonElement} */ (byId('page-next')),
  input: /** @type {HTMLInputElement} */ (byId('page-input')),
  count: byId('page-count'),
  indicator: byId('page-indicator'),
  notice: byId('viewer-notice'),
  highlightInfo: byId('highlight-info'),
  error: byId('viewer-error'),
  view: byId('page-view'),
  pdfPage: byId('pdf-page'),
  text: byId('page-text'),
  pdfTextDetails: byId('page-text-details'),
  pdfText: byId('pdf-page-text'),
};

const state = {
  /** @type {{ id: string, name: string, pages: number, mediaType: string } | null} */
  doc: null,
  /** The pdf.js document, when the PDF is drawn, and the pdf.js module. */
  /** @type {any} */
  pdf: null,
  /** @type {any} */
  pdfjs: null,
  /** @type {'pdf' | 'text'} */
  mode: 'text',
  pages: 1,
  page: 1,
  /** Increases with every page request, so a slow earlier request never overwrites a later one. */
  seq: 0,
  /** @type {any} */
  renderTask: null,
  /** pdf.js's TextLayer being built. */
  /** @type {any} */
  textLayerTask: null,
  /** Width of the drawn page in PDF units (its viewport at scale 1), for sizing the text layer. */
  pageWidth: 0,
  /** Page labels from the PDF itself, used when the API gives none. */
  /** @type {string[] | null} */
  pdfLabels: null,
  /** CSS width the current page was drawn at. */
  drawnWidth: 0,
};

// ---------------------------------------------------------------------------------------------
// Highlighting the question's words
// ---------------------------------------------------------------------------------------------

const terms = questionTerms(question);
const highlightPattern = termPattern(terms);

/** Puts `text` into `el`, wrapping the question's words in <mark>; returns the number marked. */
function renderText(el, text) {
  el.replaceChildren();
  if (!text.trim()) {
    el.append(h('p', { className: 'muted' }, 'This page has no extractable text (it may be a scanned image).'));
    return 0;
  }
  return appendHighlighted(el, text);
}

/** Appends `text` to `el` as text nodes, the question's words wrapped in <mark>; returns the number marked. */
function appendHighlighted(el, text) {
  if (!highlightPattern) {
    el.append(text);
    return 0;
  }
  let last = 0;
  let count = 0;
  for (const match of text.matchAll(highlightPattern)) {
    el.append(text.slice(last, match.index), h('mark', {}, match[0]));
    last = (match.index ?? 0) + match[0].length;
    count++;
  }
  el.append(text.slice(last));
  return count;
}

// ---------------------------------------------------------------------------------------------
// Documents without pages: the text with its sections
// ---------------------------------------------------------------------------------------------

/**
 * Renders the document's blocks. A heading keeps its anchor in `data-anchor`, not as an `id`: a
 * document's ids must not collide with the viewer's own elements. Returns the headings and marks.
 */
function renderBlocks(blocks) {
  ui.text.replaceChildren();
  ui.text.classList.add('section-text');
  let marks = 0;
  const headings = [];
  for (const block of blocks) {
    const text = typeof block.text === 'string' ? block.text : '';
    let el;
    if (block.kind === 'heading') {
      const level = Math.min(6, Math.max(2, (Number(block.level) || 1) + 1));
      el = h(`h${level}`, { className: 'text-heading', tabindex: '-1', dataset: typeof block.anchor === 'string' ? { anchor: block.anchor } : {} });
      headings.push(el);
    } else if (block.kind === 'code' || block.kind === 'table') el = h('pre', { className: `text-${block.kind}` });
    else el = h('p', { className: 'text-paragraph' });
    marks += appendHighlighted(el, text);
    ui.text.append(el);
  }
  return { headings, marks };
}

/** Marks the section a heading opens: it and what follows up to the next heading of its level or above. */
function markSection(heading) {
  const level = Number(heading.tagName.slice(1));
  heading.classList.add('cited-section', 'cited-heading');
  heading.setAttribute('aria-current', 'location');
  for (let el = heading.nextElementSibling; el; el = el.nextElementSibling) {
    if (/^H[1-6]$/.test(el.tagName) && Number(el.tagName.slice(1)) <= level) break;
    el.classList.add('cited-section');
  }
}

/** Shows the text of a document without pages, scrolled to the cited section; false if the API has no text view. */
async function showSections() {
  let view;
  try {
    view = await getJson(`${documentPath}/text`);
  } catch (err) {
    console.warn('No text view for this document; showing its page text instead.', err);
    return false;
  }
  const blocks = Array.isArray(view?.blocks) ? view.blocks : [];
  byId('pager').hidden = true;
  ui.text.hidden = false;
  const { headings, marks } = renderBlocks(blocks);
  ui.view.setAttribute('aria-busy', 'false');
  document.body.dataset.page = '1';
  showHighlightCount(marks);
  const target = sectionAnchor ? headings.find((el) => el.dataset.anchor === sectionAnchor) : undefined;
  if (target) {
    markSection(target);
    ui.indicator.textContent = `§ ${target.textContent ?? ''}`;
    document.body.dataset.section = sectionAnchor;
    target.scrollIntoView({ block: 'start' });
    target.focus({ preventScroll: true });
  } else {
    if (sectionAnchor) showMessage(ui.notice, 'The cited section is not in this document any more (it may have changed); the whole text is shown.');
    ui.indicator.textContent = state.doc?.name ?? '';
    ui.text.querySelector('mark')?.scrollIntoView({ block: 'center' });
  }
  return true;
}

/** Says how many of the question's words the text shown marks (documents shown as text). */
function showHighlightCount(count) {
  if (!question) return;
  const matches = count === 1 ? '1 match' : `${count} matches`;
  showMessage(ui.highlightInfo, `Highlighting words from “${question}”: ${matches}.`);
}

// ---------------------------------------------------------------------------------------------
// Loading the document and its pages
// ---------------------------------------------------------------------------------------------

const documentPath = `/api/documents/${encodeURIComponent(docId)}`;

/** The page's text and label from the API. */
function fetchPageText(n) {
  return getJson(`${documentPath}/pages/${n}`);
}

/** Opens the PDF with pdf.js; rejects if pdf.js or the file cannot be loaded. */
async function openPdf() {
  const pdfjs = await import(PDFJS_URL);
  pdfjs.GlobalWorkerOptions.workerSrc = PDFJS_WORKER_URL;
  state.pdfjs = pdfjs;
  // The page's CSP forbids eval: tell pdf.js not to try it.
  const pdf = await pdfjs.getDocument({ url: `${documentPath}/file`, isEvalSupported: false }).promise;
  try {
    state.pdfLabels = await pdf.getPageLabels();
  } catch {
    state.pdfLabels = null;
  }
  return pdf;
}

function isCancelled(err) {
  return err && typeof err === 'object' && err.name === 'RenderingCancelledException';
}

/** CSS pixel width a PDF page is drawn at: the page area's width. */
function availableWidth() {
  return Math.max(240, Math.floor(ui.view.clientWidth || 800));
}

/**
 * Draws page `n` into a fresh canvas and builds its text layer (highlighted), then swaps both in
 * (no blank flash while drawing, and two renders never share a canvas). The canvas is sized in
 * device pixels; CSS scales it back to the page width, so text stays sharp on high-density
 * screens. Returns the text layer, or null when it could not be built (the page is still drawn);
 * undefined when a newer request took over.
 */
async function renderPdfPage(n, seq) {
  state.renderTask?.cancel();
  state.textLayerTask?.cancel();
  const page = await state.pdf.getPage(n);
  if (seq !== state.seq) return undefined;
  const cssWidth = availableWidth();
  const unscaled = page.getViewport({ scale: 1 });
  let scale = (cssWidth / unscaled.width) * (window.devicePixelRatio || 1);
  const area = unscaled.width * unscaled.height * scale * scale;
  if (area > MAX_CANVAS_PIXELS) scale *= Math.sqrt(MAX_CANVAS_PIXELS / area);
  const viewport = page.getViewport({ scale });

  const canvas = document.createElement('canvas');
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  const task = page.render({ canvas, viewport });
  state.renderTask = task;
  let ownTask;
  const textLayer = renderTextLayer({
    pdfjs: state.pdfjs,
    page,
    viewport: unscaled,
    terms,
    cite: n === citedPage ? citedQuote : '',
    onTask: (layerTask) => (state.textLayerTask = ownTask = layerTask),
  }).catch((err) => {
    if (seq === state.seq) console.warn('pdf.js could not build the page’s text layer; the page is drawn without highlights.', err);
    return null;
  });
  let layer;
  try {
    [, layer] = await Promise.all([task.promise, textLayer]);
  } finally {
    if (state.renderTask === task) state.renderTask = null;
    if (state.textLayerTask === ownTask) state.textLayerTask = null;
  }
  if (seq !== state.seq) return undefined;
  canvas.id = 'pdf-canvas';
  canvas.className = 'pdf-canvas';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `Page ${n} of ${state.doc?.name ?? 'the document'}`);
  ui.pdfPage.replaceChildren(canvas, ...(layer ? [layer.container] : []));
  state.pageWidth = unscaled.width;
  fitTextLayer(ui.pdfPage, state.pageWidth);
  document.body.dataset.textLayer = layer ? 'ready' : 'failed';
  state.drawnWidth = cssWidth;
  return layer;
}

function clampPage(n) {
  const page = Math.trunc(Number(n));
  if (!Number.isFinite(page) || page < 1) return 1;
  return Math.min(page, state.pages);
}

function pageUrl(n) {
  const next = new URLSearchParams(location.search);
  next.set('page', String(n));
  return `${location.pathname}?${next.toString()}`;
}

function switchToText(reason) {
  state.mode = 'text';
  state.renderTask?.cancel();
  document.body.dataset.mode = 'text';
  state.textLayerTask?.cancel();
  ui.pdfPage.hidden = true;
  ui.pdfTextDetails.hidden = true;
  showMessage(ui.notice, reason);
}

/** Shows page `requested` (clamped to the document), then updates the indicator and URL. */
async function showPage(requested) {
  const n = clampPage(requested);
  const seq = ++state.seq;
  state.page = n;
  ui.input.value = String(n);
  ui.prev.disabled = n <= 1;
  ui.next.disabled = n >= state.pages;
  ui.view.setAttribute('aria-busy', 'true');
  showMessage(ui.error, '');

  let label;
  let marks = 0;
  /** The drawn page's highlighted text layer (PDFs only; null if it could not be built). */
  let layer = null;
  try {
    if (state.mode === 'pdf') {
      // The API's label is the one citations use; fetch it while the page draws.
      const [info, drawn] = await Promise.all([fetchPageText(n).catch(() => null), renderPdfPage(n, seq)]);
      if (seq !== state.seq) return;
      layer = drawn ?? null;
      label = info?.label ?? state.pdfLabels?.[n - 1] ?? String(n);
      const text = typeof info?.text === 'string' ? info.text : '';
      marks = renderText(ui.pdfText, text);
      ui.pdfTextDetails.hidden = !text.trim();
    } else {
      const info = await fetchPageText(n);
      if (seq !== state.seq) return;
      label = info.label ?? String(n);
      ui.text.hidden = false;
      marks = renderText(ui.text, typeof info.text === 'string' ? info.text : '');
    }
  } catch (err) {
    if (seq !== state.seq || isCancelled(err)) return;
    if (state.mode === 'pdf') {
      console.warn('pdf.js could not draw the page; showing its text instead.', err);
      switchToText('This PDF could not be drawn here, so the page’s extracted text is shown instead.');
      return showPage(n);
    }
    ui.view.setAttribute('aria-busy', 'false');
    showMessage(ui.error, `Could not load page ${n}. ${describeError(err)}`);
    return;
  }

  ui.view.setAttribute('aria-busy', 'false');
  ui.indicator.textContent = `Page ${label} (${n} of ${state.pages})`;
  document.body.dataset.page = String(n);
  if (state.mode === 'pdf') {
    showMessage(ui.highlightInfo, highlightMessage(question, layer, marks));
    (layer?.best ?? layer?.marks[0])?.scrollIntoView({ block: 'center' });
  } else {
    showHighlightCount(marks);
    ui.text.querySelector('mark')?.scrollIntoView({ block: 'center' });
  }
  history.replaceState(null, '', pageUrl(n));
}

async function start() {
  wireControls();
  if (!docId) {
    ui.title.textContent = 'No document';
    showMessage(ui.error, 'No document was given. Open one from the Documents list or a citation.');
    return;
  }
  try {
    state.doc = await getJson(documentPath);
  } catch (err) {
    ui.title.textContent = 'Document not found';
    const gone = err instanceof ApiError && err.status === 404;
    showMessage(ui.error, gone ? 'This document does not exist; it may have been deleted.' : `Could not open the document. ${describeError(err)}`);
    return;
  }
  const doc = /** @type {NonNullable<typeof state.doc>} */ (state.doc);
  ui.title.textContent = doc.name;
  document.title = `${doc.name} · ragbridge`;

  if (doc.mediaType === 'application/pdf') {
    try {
      state.pdf = await openPdf();
      state.mode = 'pdf';
      ui.pdfPage.hidden = false;
    } catch (err) {
      console.warn('pdf.js could not open the document; showing its text instead.', err);
      switchToText('This PDF could not be displayed here, so its extracted text is shown instead.');
    }
  }
  document.body.dataset.mode = state.mode;
  if (doc.mediaType !== 'application/pdf' && (await showSections())) return;
  state.pages = Math.max(1, Number(doc.pages) || state.pdf?.numPages || 1);
  ui.input.max = String(state.pages);
  ui.count.textContent = `of ${state.pages}`;
  await showPage(Number(params.get('page') ?? 1));
}

function wireControls() {
  ui.prev.addEventListener('click', () => void showPage(state.page - 1));
  ui.next.addEventListener('click', () => void showPage(state.page + 1));
  // `change` fires on blur and (in most browsers) on Enter; Enter is handled too for the rest.
  // Going only when the number differs keeps the two from drawing the page twice.
  const jump = () => {
    if (!state.doc) return;
    const wanted = ui.input.valueAsNumber;
    if (!Number.isFinite(wanted)) ui.input.value = String(state.page);
    else if (clampPage(wanted) !== state.page) void showPage(wanted);
    else ui.input.value = String(state.page);
  };
  ui.input.addEventListener('change', jump);
  ui.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') jump();
  });
  // Arrow keys turn pages, unless the reader is typing in a field.
  document.addEventListener('keydown', (event) => {
    if (!state.doc || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = event.target;
    if (target instanceof Element && target.closest('input, textarea, select, [contenteditable="true"]')) return;
    if (event.key === 'ArrowLeft' && state.page > 1) void showPage(state.page - 1);
    if (event.key === 'ArrowRight' && state.page < state.pages) void showPage(state.page + 1);
  });
  // The text layer follows the page's shown width at once (a scroll bar coming or going); the
  // canvas is redrawn for a sharp page once a resize settles.
  new ResizeObserver(() => fitTextLayer(ui.pdfPage, state.pageWidth)).observe(ui.pdfPage);
  // Redraw the PDF page when the width changes (rotation, resizing), after the resizing settles.
  let timer;
  window.addEventListener('resize', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (state.mode === 'pdf' && Math.abs(availableWidth() - state.drawnWidth) > 8) void showPage(state.page);
    }, 200);
  });
}

void start();
