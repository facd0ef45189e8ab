/**
 * The ragbridge demo UI: Ask (streamed answers with citations), Documents (upload, list,
 * delete), Dashboard (usage and cost charts) and Profile (the active configuration).
 *
 * Plain ES module, no build step. Runs under a strict CSP: no inline scripts or styles, so all
 * looks come from classes in styles.css, and every string from the API is inserted as text.
 */
import { ApiError, createSseParser, describeError, formatBytes, formatCount, formatMs, formatUsd, getJson, h, plural, readError, shorten, showMessage, toDate, viewerUrl, whereLabel } from './common.js';
import { columnChart, fractionBar, mountChart } from './charts.js';
import { needsChains, partStatuses, reranked, scoreView } from './answer-status.js';
import { acceptedTypes, jobProgress, STAGE_LABELS, uploadProblem } from './upload-progress.js';
import { documentLabel, repeatedNames } from './document-list.js';
import { adminHeaders, adminRefusal, adminToken, onAdminChange, signIn, signOut } from './admin-session.js';

/** Passages retrieved per question. */
const TOP_K = 5;
/** Days shown on the dashboard. */
const USAGE_DAYS = 14;
/** Upload jobs kept on screen. */
const MAX_JOBS_SHOWN = 5;

/** @param {string} id */
function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page is missing #${id}`);
  return el;
}

// ---------------------------------------------------------------------------------------------
// Tabs
// ---------------------------------------------------------------------------------------------

const TABS = ['ask', 'documents', 'dashboard', 'profile'];
/** Loads a tab's data; run when the tab is first shown and after it goes stale. */
const tabLoaders = { documents: loadDocuments, dashboard: loadUsage, profile: loadProfile };
/** Tabs whose data is on screen and current. */
const freshTabs = new Set();
let currentTab = 'ask';

/**
 * Shows one tab panel (ARIA tabs pattern) and loads its data if needed.
 * @param {string} name
 * @param {{ focusTab?: boolean, updateHash?: boolean }} [options]
 */
function showTab(name, { focusTab = false, updateHash = true } = {}) {
  if (!TABS.includes(name)) name = 'ask';
  currentTab = name;
  for (const tab of TABS) {
    const selected = tab === name;
    const button = byId(`tab-${tab}`);
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    byId(`panel-${tab}`).hidden = !selected;
  }
  if (focusTab) byId(`tab-${name}`).focus();
  if (updateHash) history.replaceState(null, '', name === 'ask' ? location.pathname + location.search : `#${name}`);
  if (!freshTabs.has(name) && tabLoaders[name]) void tabLoaders[name]();
}

/** Marks a tab's data as out of date: reloaded now if it is shown, else when it next is. */
function invalidate(name) {
  freshTabs.delete(name);
  if (currentTab === name) void tabLoaders[name]();
}

function setUpTabs() {
  const tablist = document.querySelector('[role="tablist"]');
  for (const tab of TABS) byId(`tab-${tab}`).addEventListener('click', () => showTab(tab));
  // Arrow keys move between tabs, as screen reader users expect of a tablist.
  tablist?.addEventListener('keydown', (event) => {
    const index = TABS.indexOf(currentTab);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    showTab(TABS[(next + TABS.length) % TABS.length], { focusTab: true });
  });
  window.addEventListener('hashchange', () => showTab(location.hash.slice(1), { updateHash: false }));
}

// ---------------------------------------------------------------------------------------------
// Header: active profile and document count
// ---------------------------------------------------------------------------------------------

async function loadHealth() {
  const profile = byId('active-profile');
  const count = byId('document-count');
  try {
    const health = await getJson('/api/health');
    profile.textContent = typeof health.profile === 'string' ? health.profile : 'unknown';
    profile.classList.remove('badge-error');
    count.textContent = typeof health.documents === 'number' ? plural(health.documents, 'document') : '';
  } catch {
    profile.textContent = 'server unreachable';
    profile.classList.add('badge-error');
    count.textContent = '';
  }
}

// ---------------------------------------------------------------------------------------------
// Ask: POST /api/ask, read the text/event-stream response
// ---------------------------------------------------------------------------------------------

const ask = {
  /** @type {AbortController | null} */
  controller: null,
  /** Sources of the current answer by number, to resolve [n] markers. */
  sources: new Map(),
  /** Text node the streamed deltas are appended to. */
  /** @type {Text | null} */
  streamText: null,
  /** The server sent `done`: stop reading. */
  finished: false,
  answered: false,
  /** Counts questions, so a status line still loading for an older one is dropped. */
  serial: 0,
  /** The fused scores of the listed sources are scaled to this, the best of them. */
  bestScore: 0,
  /** Earlier turns of this conversation, oldest first: a follow-up is retrieved with the previous question. */
  conversation: /** @type {Array<{ question: string; answer?: string }>} */ ([]),
};

/** Turns sent with a question (the server keeps at most this many too). */
const HISTORY_TURNS = 3;

function renderConversation() {
  const box = byId('conversation');
  const turns = ask.conversation;
  box.hidden = turns.length === 0;
  byId('conversation-last').textContent = turns.at(-1)?.question ?? '';
  byId('conversation-turns').replaceChildren(...turns.slice(0, -1).map((t) => h('li', {}, t.question)));
}

function newConversation() {
  ask.conversation = [];
  renderConversation();
  byId('question').focus();
}

function setAsking(busy) {
  byId('ask-button').toggleAttribute('disabled', busy);
  byId('ask-button').textContent = busy ? 'Answering…' : 'Ask';
  byId('ask-stop').hidden = !busy;
  byId('question').setAttribute('aria-busy', String(busy));
  // While streaming, the live region is busy: screen readers announce the answer once it is
  // complete instead of every few words.
  byId('answer').setAttribute('aria-busy', String(busy));
}

function resetAnswer() {
  const answer = byId('answer');
  answer.replaceChildren();
  answer.className = 'answer';
  answer.dataset.state = 'waiting';
  byId('status-line').replaceChildren('Searching the documents…');
  showMessage(byId('ask-error'), '');
  byId('sources-list').replaceChildren();
  byId('sources-empty').hidden = false;
  byId('sources-empty').textContent = 'Searching…';
  ask.sources = new Map();
  ask.streamText = null;
  ask.finished = false;
  ask.answered = false;
  ask.serial++;
}

async function submitQuestion() {
  if (ask.controller) return;
  const questionEl = /** @type {HTMLTextAreaElement} */ (byId('question'));
  const question = questionEl.value.trim();
  if (!question) {
    showMessage(byId('ask-error'), 'Type a question first.');
    questionEl.focus();
    return;
  }
  const controller = new AbortController();
  ask.controller = controller;
  resetAnswer();
  setAsking(true);
  try {
    const res = await fetch('/api/ask', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ question, k: TOP_K, ...(ask.conversation.length > 0 && { history: ask.conversation.slice(-HISTORY_TURNS) }) }),
      signal: controller.signal,
    });
    if (!res.ok) throw await readError(res);
    if (!res.body) throw new Error('This browser cannot read streamed responses.');
    const parser = createSseParser((type, data) => handleAskEvent(type, data, question));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    while (!ask.finished) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
    }
    if (ask.finished) void reader.cancel().catch(() => undefined);
    else parser.end();
    if (!ask.answered && byId('answer').dataset.state !== 'error') {
      failAnswer('The answer stream ended before the answer was complete. Try again.');
    }
  } catch (err) {
    if (controller.signal.aborted) {
      byId('answer').dataset.state = ask.answered ? 'answered' : 'stopped';
      byId('status-line').replaceChildren('Stopped.');
    } else {
      failAnswer(describeError(err));
    }
  } finally {
    ask.controller = null;
    setAsking(false);
    if (byId('sources-list').childElementCount === 0) byId('sources-empty').textContent = 'No sources for this question.';
  }
  if (ask.answered) {
    invalidate('dashboard');
    void loadHealth();
  }
}

function failAnswer(message) {
  showMessage(byId('ask-error'), message);
  const answer = byId('answer');
  if (!ask.answered) {
    answer.dataset.state = 'error';
    if (byId('status-line').textContent?.endsWith('…')) byId('status-line').replaceChildren();
  }
}

/** Handles one event of the answer stream. */
function handleAskEvent(type, raw, question) {
  let data;
  try {
    data = raw ? JSON.parse(raw) : {};
  } catch {
    console.warn(`Skipped an unreadable "${type}" event from /api/ask`);
    return;
  }
  try {
    switch (type) {
      case 'retrieval':
        renderSources(Array.isArray(data.sources) ? data.sources : [], question);
        byId('status-line').replaceChildren('Writing the answer…');
        break;
      case 'delta':
        appendDelta(typeof data.text === 'string' ? data.text : '');
        break;
      case 'answer':
        renderAnswer(data, question);
        // The next question follows up on this one; a refused question still sets the subject.
        ask.conversation.push({ question, ...(data.refused !== true && typeof data.text === 'string' && { answer: data.text.slice(0, 1200) }) });
        ask.conversation = ask.conversation.slice(-HISTORY_TURNS);
        renderConversation();
        break;
      case 'meta':
        renderMeta(data, ask.serial).catch((err) => console.error(err));
        break;
      case 'error':
        failAnswer(typeof data.message === 'string' ? capitalise(data.message) : 'The question could not be answered.');
        break;
      case 'done':
        ask.finished = true;
        setAsking(false);
        break;
      default:
        break;
    }
  } catch (err) {
    // A rendering bug must not stop the stream: log it and keep reading.
    console.error(err);
  }
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function appendDelta(text) {
  if (!text) return;
  const answer = byId('answer');
  if (!ask.streamText) {
    ask.streamText = document.createTextNode('');
    answer.replaceChildren(ask.streamText);
    answer.dataset.state = 'streaming';
  }
  ask.streamText.appendData(text);
}

/** Fills the Sources panel from the `retrieval` event. */
function renderSources(sources, question) {
  const list = byId('sources-list');
  list.replaceChildren();
  byId('sources-empty').hidden = sources.length > 0;
  byId('sources-empty').textContent = 'No passages matched the question.';
  // Fused scores are only comparable within one list: bars are scaled to the best one. Whether a
  // reranker model scored the hits is known from the answer's `meta` event, which upgrades them.
  ask.bestScore = Math.max(0, ...sources.map((s) => (typeof s.score === 'number' ? s.score : 0)));
  for (const source of sources) {
    ask.sources.set(source.n, source);
    const where = whereLabel(source);
    const bySection = source.citedBy === 'section';
    const reason = ['keyword', 'dense', 'both'].includes(source.reason) ? source.reason : 'other';
    const reasonText = { keyword: 'keyword', dense: 'semantic', both: 'keyword + semantic', other: String(source.reason ?? 'match') }[reason];
    list.append(
      h(
        'li',
        { className: 'source', id: `source-${source.n}`, dataset: { n: String(source.n) } },
        h(
          'div',
          { className: 'source-head' },
          h('span', { className: 'source-n' }, `[${source.n}]`),
          h('a', { className: 'source-doc', href: viewerUrl(source.docId, source.page, question, source.anchor), target: '_blank', rel: 'noopener' }, source.doc ?? 'document'),
          where ? h('span', { className: bySection ? 'source-page source-where-section' : 'source-page', title: where }, bySection ? shorten(where, 80) : where) : null,
          h('span', { className: `badge reason reason-${reason}`, title: `Found by ${reasonText} search` }, reasonText),
        ),
        // A PDF passage's nearest heading; a section-cited one already shows its section above.
        source.section && !bySection ? h('p', { className: 'source-section' }, source.section) : null,
        sourceScore(source, false),
        whyLine(source.why),
        h('p', { className: 'snippet' }, source.snippet ?? ''),
      ),
    );
  }
}

/** A source's score bar and number: the reranker's when a reranker model scored the hits, else the fused score. */
function sourceScore(source, byReranker) {
  const view = scoreView(source, ask.bestScore, byReranker);
  return h('div', { className: 'source-score', dataset: { kind: view.kind } }, view.kind === 'none' ? null : fractionBar(view.fraction), h('span', { className: 'score-text' }, view.text));
}

/** The retrieval signals that ranked a source, largest contribution first ("why is this here?"). */
function whyLine(why) {
  if (!why || !Array.isArray(why.signals) || why.signals.length === 0) return null;
  const parts = why.signals.slice(0, 4).map((s) => `${s.signal} ${Number(s.contribution).toFixed(2)}`);
  const ranks = [why.keywordRank ? `keyword #${why.keywordRank}` : '', why.denseRank ? `semantic #${why.denseRank}` : ''].filter(Boolean).join(', ');
  const all = why.signals.map((s) => `${s.signal}: ${Number(s.contribution).toFixed(3)}`).join('\n');
  return h('p', { className: 'source-why', title: `Signal contributions (weight × value):\n${all}` }, `Why here: ${parts.join(' · ')}${ranks ? ` (${ranks})` : ''}`);
}

/** `[1]`, `[2, 3]` and `[2,3]` markers in answer text. */
const CITATION_MARKER = /\[(\d+(?:\s*,\s*\d+)*)\]/g;

/** Re-renders the final answer with citation chips, or as a refusal. */
function renderAnswer(data, question) {
  ask.answered = true;
  const answer = byId('answer');
  const refused = data.refused === true;
  answer.replaceChildren();
  answer.classList.toggle('refused', refused);
  answer.dataset.state = refused ? 'refused' : 'answered';

  const citations = new Map();
  for (const c of Array.isArray(data.citations) ? data.citations : []) citations.set(c.n, c);
  const invalid = new Set(Array.isArray(data.invalidCitations) ? data.invalidCitations : []);

  if (refused) answer.append(h('p', { className: 'refusal-title' }, 'The documents don’t say'));
  if (refused && typeof data.refusalReason === 'string') answer.append(h('p', { className: 'refusal-reason' }, `Why: ${data.refusalReason}.`));

  const interrupted = data.interrupted && typeof data.interrupted.text === 'string' ? data.interrupted : undefined;
  if (interrupted) {
    // The generated text already shown stays, marked; the extractive answer follows, labelled.
    const partial = citedText(interrupted.text, citations, invalid, question, 'answer-text interrupted-text');
    partial.append(h('span', { className: 'interrupted-mark' }, ' … (interrupted)'));
    answer.append(
      partial,
      h('p', { className: 'answer-note interrupted-note' }, `The model’s answer broke off${typeof interrupted.reason === 'string' ? ` (${interrupted.reason})` : ''}. Quoted from the same sources instead:`),
    );
  }
  const text = typeof data.text === 'string' ? data.text : '';
  answer.append(citedText(text, citations, invalid, question, interrupted ? 'answer-text extractive-after-interruption' : 'answer-text', data.mode === 'extractive'));

  if (invalid.size) {
    const list = [...invalid].map((n) => `[${n}]`).join(', ');
    answer.append(h('p', { className: 'answer-note' }, `The model cited ${list}, which matches no retrieved passage; ${invalid.size === 1 ? 'it is' : 'they are'} struck through.`));
  }
  if (byId('status-line').textContent?.endsWith('…')) byId('status-line').replaceChildren();
}

/** Answer text with its [n] markers as citation chips (or struck-through markers that match no source). */
function citedText(text, citations, invalid, question, className, quotes = false) {
  const body = h('div', { className });
  let last = 0;
  for (const match of text.matchAll(CITATION_MARKER)) {
    body.append(text.slice(last, match.index));
    // An extractive answer quotes its sources word for word: the sentence before a marker is what
    // the viewer highlights on the cited page.
    const cite = quotes ? quotedBefore(text.slice(last, match.index)) : undefined;
    match[1].split(',').forEach((part, i) => {
      const n = Number(part.trim());
      if (i > 0) body.append(' ');
      // The answer's citations first; a source from retrieval next; otherwise it points nowhere.
      const target = invalid.has(n) ? undefined : (citations.get(n) ?? ask.sources.get(n));
      body.append(target ? citationChip(n, target, question, cite) : h('span', { className: 'citation-invalid', title: `Citation [${n}] matches no retrieved passage` }, `[${n}]`));
    });
    last = match.index + match[0].length;
  }
  body.append(text.slice(last));
  return body;
}

/** The quoted sentence or table row before a citation marker: the text since the previous marker or line, without ellipses. */
function quotedBefore(text) {
  const line = text.split('\n').at(-1) ?? '';
  const quote = line.replace(/^[\s…]+|[\s…]+$/g, '').replace(/\s*\|\s*/g, ' ');
  return quote.length >= 12 ? quote : undefined;
}

function citationChip(n, c, question, cite) {
  const doc = c.doc ?? 'document';
  const where = whereLabel(c);
  return h(
    'a',
    {
      className: 'citation-chip',
      dataset: { n: String(n), ...(c.anchor ? { anchor: c.anchor } : {}) },
      href: viewerUrl(c.docId, c.page, question, c.anchor, cite),
      target: '_blank',
      rel: 'noopener',
      title: `Source [${n}]: ${doc}${where ? ` ${where}` : ''}`,
    },
    where ? `${doc} ${shorten(where, 48)}` : doc,
  );
}

/** The parts' chains from `/api/profile` (which steps are not installed), or [] when it cannot be read. */
async function loadChains() {
  try {
    const profile = await getJson('/api/profile');
    return Array.isArray(profile?.parts) ? profile.parts : [];
  } catch {
    return [];
  }
}

/**
 * The status line under the answer: who served each part, timings and cost. A part served by a
 * later step is marked as a fallback, unless the steps before it are not installed here (then a
 * neutral note says so); telling the two apart takes the chains of `/api/profile`.
 */
async function renderMeta(meta, serial) {
  if (reranked(meta)) {
    // A reranker model scored the hits: show its scores instead of the fused ones.
    for (const item of byId('sources-list').querySelectorAll('.source')) {
      const source = ask.sources.get(Number(item.dataset.n));
      if (source) item.querySelector('.source-score')?.replaceWith(sourceScore(source, true));
    }
  }
  const chains = needsChains(meta) ? await loadChains() : [];
  if (serial !== ask.serial) return;
  const items = partStatuses(meta, chains).map((status) =>
    h(
      'span',
      { className: `meta-part${status.off ? ' meta-off' : ''}${status.fallbackStep ? ' meta-fallback' : ''}`, dataset: { part: status.part } },
      h('strong', {}, `${status.part}:`),
      ` ${status.label}`,
      status.note ? h('span', { className: 'meta-note' }, ` — ${status.note}`) : null,
      status.fallbackStep ? h('mark', { className: 'fallback' }, ` fallback step ${status.fallbackStep}`) : null,
      status.cacheHit ? h('span', { className: 'badge badge-cache' }, 'cached') : null,
    ),
  );
  if (meta.timings && typeof meta.timings === 'object') {
    const timings = Object.entries(meta.timings).filter(([, v]) => typeof v === 'number');
    if (timings.length) items.push(h('span', { className: 'meta-timings' }, timings.map(([k, v]) => `${k} ${formatMs(v)}`).join(' · ')));
  }
  if (typeof meta.costUsd === 'number') items.push(h('span', { className: 'meta-cost' }, `cost ${formatUsd(meta.costUsd)}`));
  if (typeof meta.cacheHits === 'number' && meta.cacheHits > 0) items.push(h('span', { className: 'meta-cache' }, plural(meta.cacheHits, 'cache hit')));
  byId('status-line').replaceChildren(...items.flatMap((item, i) => (i ? [h('span', { className: 'sep', 'aria-hidden': 'true' }, ' · '), item] : [item])));
}

function setUpAsk() {
  const form = /** @type {HTMLFormElement} */ (byId('ask-form'));
  const question = byId('question');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submitQuestion();
  });
  question.addEventListener('keydown', (event) => {
    // Enter asks; Shift+Enter is a new line; Enter while an IME composes text is left alone.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  byId('ask-stop').addEventListener('click', () => ask.controller?.abort());
  byId('conversation-new').addEventListener('click', newConversation);
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

let documentsLoad = 0;

async function loadDocuments() {
  const load = ++documentsLoad;
  const error = byId('documents-error');
  byId('documents-table').setAttribute('aria-busy', 'true');
  try {
    const data = await getJson('/api/documents');
    if (load !== documentsLoad) return;
    renderDocuments(Array.isArray(data.documents) ? data.documents : []);
    showMessage(error, '');
    freshTabs.add('documents');
  } catch (err) {
    if (load === documentsLoad) showMessage(error, `Could not load the documents. ${describeError(err)}`);
  } finally {
    if (load === documentsLoad) byId('documents-table').setAttribute('aria-busy', 'false');
  }
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/**
 * The list as last loaded, to redraw it when the admin signs in or out.
 * @type {any[] | undefined}
 */
let listedDocuments;

/** Draws the document list in the server's order (by name, ignoring case); delete buttons only for a signed-in admin. */
function renderDocuments(documents) {
  if (!documents) return;
  listedDocuments = documents;
  const admin = Boolean(adminToken());
  const repeated = repeatedNames(documents);
  byId('documents-actions-head').hidden = !admin;
  byId('documents-body').replaceChildren(
    ...documents.map((doc) => {
      const added = toDate(doc.ingestedAt);
      const label = documentLabel(doc, repeated);
      let remove = null;
      if (admin) {
        remove = h('button', { type: 'button', className: 'danger small delete-document', 'aria-label': `Delete ${label.name}`, dataset: { id: doc.id } }, 'Delete');
        remove.addEventListener('click', () => void deleteDocument(doc, remove));
      }
      return h(
        'tr',
        { dataset: { id: doc.id } },
        h('td', { className: 'doc-name' }, h('a', { href: viewerUrl(doc.id, 1) }, label.name), label.detail ? h('span', { className: 'doc-subtitle muted' }, ` — ${label.detail}`) : null),
        // data-label names the cell when narrow screens show each row as a card (styles.css).
        h('td', { className: 'num', 'data-label': 'Pages' }, formatCount(doc.pages)),
        h('td', { className: 'num', 'data-label': 'Size' }, formatBytes(doc.bytes)),
        h('td', { className: 'date', 'data-label': 'Added' }, added ? h('time', { datetime: added.toISOString() }, dateFormat.format(added)) : '—'),
        admin ? h('td', { className: 'actions' }, remove) : null,
      );
    }),
  );
  byId('documents-empty').hidden = documents.length > 0;
  byId('documents-table').hidden = documents.length === 0;
}

async function deleteDocument(doc, button) {
  const error = byId('documents-error');
  const notice = byId('documents-notice');
  showMessage(error, '');
  showMessage(notice, '');
  if (!window.confirm(`Delete “${doc.name}” from the documents? Its passages will no longer be found.`)) return;
  button.disabled = true;
  try {
    const res = await fetch(`/api/documents/${encodeURIComponent(doc.id)}`, { method: 'DELETE', headers: adminHeaders() });
    if (!res.ok) throw await readError(res);
    await loadDocuments();
    showMessage(notice, `Deleted “${doc.name}”.`);
    void loadHealth();
  } catch (err) {
    showMessage(error, deleteErrorMessage(doc, err));
  } finally {
    button.disabled = false;
  }
}

function deleteErrorMessage(doc, err) {
  const what = `Could not delete “${doc.name}”.`;
  const refusal = adminRefusal(err);
  if (refusal) return `${what} ${refusal}`;
  if (err instanceof ApiError && err.status === 404) {
    void loadDocuments();
    return `${what} It no longer exists (404); the list has been refreshed.`;
  }
  return `${what} ${describeError(err)}`;
}

// ---------------------------------------------------------------------------------------------
// Admin sign-in
// ---------------------------------------------------------------------------------------------

function setUpAdmin() {
  const open = /** @type {HTMLButtonElement} */ (byId('admin-open'));
  const form = /** @type {HTMLFormElement} */ (byId('admin-form'));
  const input = /** @type {HTMLInputElement} */ (byId('admin-token'));
  const submit = /** @type {HTMLButtonElement} */ (byId('admin-sign-in'));
  const error = byId('admin-error');
  const showForm = (shown) => {
    form.hidden = !shown;
    open.hidden = shown;
    open.setAttribute('aria-expanded', String(shown));
    if (shown) input.focus();
    else {
      input.value = '';
      showMessage(error, '');
    }
  };
  const showState = (signedIn) => {
    document.body.dataset.admin = String(signedIn);
    byId('admin-signed-in').hidden = !signedIn;
    if (signedIn) {
      form.hidden = true;
      open.hidden = true;
    } else if (form.hidden) open.hidden = false;
    renderDocuments(listedDocuments);
  };
  open.addEventListener('click', () => showForm(true));
  byId('admin-cancel').addEventListener('click', () => showForm(false));
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') showForm(false);
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const result = await signIn(input.value);
    submit.disabled = false;
    if (result.ok) {
      input.value = '';
      showMessage(error, '');
      if (!result.checked) showMessage(byId('documents-notice'), 'Signed in; the server checks the admin token at the first admin action.');
    } else {
      showMessage(error, result.message);
      input.select();
    }
  });
  byId('admin-sign-out').addEventListener('click', () => {
    signOut();
    open.focus();
  });
  onAdminChange((signedIn) => {
    if (!signedIn) showForm(false);
    showState(signedIn);
  });
  showState(Boolean(adminToken()));
}

// --- upload --------------------------------------------------------------------------------

/**
 * The on-screen record of one upload job; the newest one owns the ids tests look for. Its bar
 * moves through the stages the server reports (upload, extract, embed) and is full only when the
 * job is done; `data-stage` on the item names the current one.
 */
function createJobView(files) {
  for (const id of ['upload-progress', 'upload-status', 'upload-summary']) document.getElementById(id)?.removeAttribute('id');
  const names = files.map((f) => f.name).join(', ');
  const progress = /** @type {HTMLProgressElement} */ (h('progress', { id: 'upload-progress', max: '1', 'aria-label': `Progress of ${names}` }));
  const status = h('p', { id: 'upload-status', className: 'job-status', 'aria-live': 'polite' }, `Uploading ${plural(files.length, 'file')}…`);
  const summary = h('div', { id: 'upload-summary', className: 'job-summary', role: 'status' });
  const item = h('li', { className: 'upload-job', dataset: { state: 'uploading', stage: 'upload' } }, h('p', { className: 'job-title' }, names), progress, status, summary);
  const list = byId('upload-jobs');
  list.prepend(item);
  while (list.childElementCount > MAX_JOBS_SHOWN) list.lastElementChild?.remove();

  return {
    /** @param {{ file?: string, stage?: string, done?: number, total?: number }} p */
    progress(p) {
      item.dataset.state = 'running';
      const next = jobProgress(progress.value, p);
      progress.value = next.fraction;
      item.dataset.stage = next.stage;
      status.textContent = next.label;
    },
    /** @param {any} report */
    done(report) {
      progress.value = 1;
      const failed = Array.isArray(report?.failed) ? report.failed : [];
      item.dataset.state = failed.length ? 'partial' : 'done';
      item.dataset.stage = 'done';
      status.textContent = `${STAGE_LABELS.done}.`;
      const lines = [];
      for (const [key, label] of [['added', 'Added'], ['updated', 'Updated'], ['unchanged', 'Unchanged']]) {
        const files = Array.isArray(report?.[key]) ? report[key] : [];
        if (files.length) lines.push(h('p', { className: `job-${key}` }, h('strong', {}, `${label}: `), files.join(', ')));
      }
      const counts = [];
      if (typeof report?.pages === 'number') counts.push(plural(report.pages, 'page'));
      if (typeof report?.chunks === 'number') counts.push(plural(report.chunks, 'chunk'));
      if (counts.length) lines.push(h('p', { className: 'job-counts' }, `${counts.join(', ')} indexed.`));
      if (failed.length) {
        lines.push(
          h('p', { className: 'job-failed-title' }, h('strong', {}, `Failed (${failed.length}):`)),
          h('ul', { className: 'job-failures' }, ...failed.map((f) => h('li', {}, h('strong', {}, f.file ?? 'file'), `: ${f.message ?? 'could not be ingested'}`, f.code ? h('span', { className: 'badge badge-error' }, f.code) : null))),
        );
      }
      const pageErrors = Array.isArray(report?.pageErrors) ? report.pageErrors : [];
      if (pageErrors.length) {
        lines.push(h('details', { className: 'job-page-errors' }, h('summary', {}, `${plural(pageErrors.length, 'page')} could not be read`), h('ul', {}, ...pageErrors.map((e) => h('li', {}, `${e.file} p. ${e.page}: ${e.message}`)))));
      }
      if (!lines.length) lines.push(h('p', {}, 'Nothing to do.'));
      summary.replaceChildren(...lines);
    },
    /** @param {string} message */
    fail(message) {
      item.dataset.state = 'failed';
      progress.value = 0;
      status.textContent = 'Failed.';
      summary.replaceChildren(h('p', { className: 'error' }, message));
    },
  };
}

function parseEventData(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return {};
  }
}

/** Follows an ingestion job's server-sent events until it is done. */
function followJob(jobId, view) {
  const source = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}`);
  let connectionErrors = 0;
  const finish = () => {
    source.close();
    void loadDocuments();
    void loadHealth();
  };
  source.addEventListener('progress', (event) => {
    connectionErrors = 0;
    view.progress(parseEventData(event));
  });
  source.addEventListener('done', (event) => {
    view.done(parseEventData(event).report);
    finish();
  });
  source.addEventListener('error', (event) => {
    // The server's own `event: error` carries data; a dropped connection does not.
    if (event instanceof MessageEvent && event.data) {
      view.fail(capitalise(String(parseEventData(event).message ?? 'Ingestion failed.')));
      finish();
      return;
    }
    // EventSource reconnects by itself (and the server replays the job); give up after a few tries.
    connectionErrors++;
    if (source.readyState === EventSource.CLOSED || connectionErrors > 3) {
      view.fail('Lost the connection to the upload job. Refresh the list to see what was indexed.');
      finish();
    }
  });
}

/**
 * Uploads files chosen with the picker or dropped on the page: the same checks and messages for
 * both, then the job's progress. A signed-in admin's upload carries the admin token (the server
 * then replaces an uploaded document of the same name).
 * @param {File[]} files
 * @returns {Promise<boolean>} whether the files passed the checks and were sent
 */
async function uploadFiles(files) {
  const input = /** @type {HTMLInputElement} */ (byId('upload-input'));
  const button = /** @type {HTMLButtonElement} */ (byId('upload-button'));
  const error = byId('upload-error');
  showMessage(error, '');
  const problem = uploadProblem(files, acceptedTypes(input.getAttribute('accept')));
  if (problem) {
    showMessage(error, problem);
    return false;
  }
  const body = new FormData();
  for (const file of files) body.append('file', file, file.name);
  button.disabled = true;
  const view = createJobView(files);
  try {
    const res = await fetch('/api/documents', { method: 'POST', body, headers: adminHeaders() });
    if (!res.ok) throw await readError(res);
    const { job } = await res.json();
    if (typeof job !== 'string' || !job) throw new Error('The server did not start an upload job.');
    /** @type {HTMLFormElement} */ (byId('upload-form')).reset();
    followJob(job, view);
  } catch (err) {
    const message = `Upload failed. ${adminRefusal(err) ?? describeError(err)}`;
    showMessage(error, message);
    view.fail(message);
  } finally {
    button.disabled = false;
  }
  return true;
}

/** Whether a drag carries files (not text or a link dragged within the page). */
function draggingFiles(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

/**
 * Dropping files anywhere on the page uploads them. While files are dragged over the page, an
 * overlay says so and the upload card is highlighted; the Documents tab opens on the drop, where
 * the job's progress shows.
 */
function setUpDrop() {
  const overlay = byId('drop-overlay');
  const zone = byId('upload-form');
  // dragenter and dragleave fire for every element crossed; count them to know when the drag left the page.
  let depth = 0;
  const show = (shown) => {
    overlay.hidden = !shown;
    zone.classList.toggle('drop-active', shown);
    document.body.classList.toggle('dragging-files', shown);
  };
  window.addEventListener('dragenter', (event) => {
    if (!draggingFiles(event)) return;
    event.preventDefault();
    depth++;
    show(true);
  });
  window.addEventListener('dragover', (event) => {
    if (!draggingFiles(event)) return;
    // Without this the browser opens the file instead of letting the page have it.
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('dragleave', (event) => {
    if (!draggingFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) show(false);
  });
  window.addEventListener('dragend', () => {
    depth = 0;
    show(false);
  });
  window.addEventListener('drop', (event) => {
    if (!draggingFiles(event)) return;
    event.preventDefault();
    depth = 0;
    show(false);
    showTab('documents');
    void uploadFiles(Array.from(event.dataTransfer?.files ?? []));
  });
}

function setUpDocuments() {
  const form = /** @type {HTMLFormElement} */ (byId('upload-form'));
  const input = /** @type {HTMLInputElement} */ (byId('upload-input'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void uploadFiles(Array.from(input.files ?? [])).then((sent) => {
      if (!sent) input.focus();
    });
  });
  setUpDrop();
  byId('documents-refresh').addEventListener('click', () => void loadDocuments());
}

// ---------------------------------------------------------------------------------------------
// Dashboard
// ---------------------------------------------------------------------------------------------

let usageLoad = 0;

async function loadUsage() {
  const load = ++usageLoad;
  const error = byId('dashboard-error');
  const refresh = /** @type {HTMLButtonElement} */ (byId('dashboard-refresh'));
  refresh.disabled = true;
  try {
    const usage = await getJson(`/api/usage?days=${USAGE_DAYS}`);
    if (load !== usageLoad) return;
    renderUsage(usage);
    showMessage(error, '');
    byId('usage-updated').textContent = `Updated ${new Date().toLocaleTimeString(undefined, { timeStyle: 'short' })}`;
    freshTabs.add('dashboard');
  } catch (err) {
    if (load === usageLoad) showMessage(error, `Could not load usage. ${describeError(err)}`);
  } finally {
    if (load === usageLoad) refresh.disabled = false;
  }
}

/** Fills a table with a header row and body rows of text cells (numbers right-aligned). */
function fillTable(table, caption, headers, rows) {
  const numeric = headers.map((_, i) => i > 0);
  table.replaceChildren(
    h('caption', { className: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, ...headers.map((text, i) => h('th', { scope: 'col', className: numeric[i] ? 'num' : null }, text)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((text, i) => h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, className: numeric[i] ? 'num' : null }, text))))),
  );
}

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function renderUsage(usage) {
  const totals = usage.totals ?? {};
  byId('total-cost').textContent = formatUsd(totals.costUsd);
  byId('total-calls').textContent = formatCount(totals.calls);
  byId('total-cache-hits').textContent = formatCount(totals.cacheHits);
  byId('total-questions').textContent = formatCount(totals.questions);

  const daily = (Array.isArray(usage.daily) ? usage.daily : []).slice().sort((a, b) => String(a.day).localeCompare(String(b.day)));
  const days = daily.map((d) => String(d.day));
  const shortDays = days.map((d) => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? d.slice(5) : d));

  const cost = daily.map((d) => num(d.costUsd));
  mountChart(byId('chart-cost'), (width) =>
    columnChart({ width, title: 'Cost per day in US dollars', labels: shortDays, fullLabels: days, series: [{ name: 'Cost', values: cost, className: 'series-cost' }], formatValue: formatUsd, xLabel: 'Day (UTC)', yLabel: 'USD' }),
  );
  fillTable(byId('chart-cost-table'), 'Cost per day', ['Day', 'Cost'], daily.map((d) => [String(d.day), formatUsd(d.costUsd)]));

  const calls = daily.map((d) => num(d.calls));
  const hits = daily.map((d) => num(d.cacheHits));
  mountChart(byId('chart-calls'), (width) =>
    columnChart({
      width,
      title: 'Model calls and cache hits per day',
      labels: shortDays,
      fullLabels: days,
      series: [
        { name: 'Calls', values: calls, className: 'series-calls' },
        { name: 'Cache hits', values: hits, className: 'series-hits' },
      ],
      formatValue: formatCount,
      xLabel: 'Day (UTC)',
      yLabel: 'Calls',
      integer: true,
    }),
  );
  fillTable(byId('chart-calls-table'), 'Model calls and cache hits per day', ['Day', 'Calls', 'Cache hits'], daily.map((d) => [String(d.day), formatCount(d.calls), formatCount(d.cacheHits)]));

  // Model parts first, in pipeline order; anything else the server adds (e.g. whole questions) after.
  const latency = usage.latency && typeof usage.latency === 'object' ? usage.latency : {};
  const order = ['embedder', 'reranker', 'answer'];
  const parts = Object.keys(latency).sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const withData = parts.filter((p) => num(latency[p]?.p50) !== null || num(latency[p]?.p95) !== null);
  mountChart(byId('chart-latency'), (width) =>
    columnChart({
      width,
      title: 'Latency per model part, median and 95th percentile, in milliseconds',
      labels: withData,
      series: [
        { name: 'p50', values: withData.map((p) => num(latency[p]?.p50)), className: 'series-p50' },
        { name: 'p95', values: withData.map((p) => num(latency[p]?.p95)), className: 'series-p95' },
      ],
      formatValue: formatMs,
      formatTick: (v) => `${Math.round(v)}`,
      xLabel: 'Part',
      yLabel: 'ms',
    }),
  );
  fillTable(byId('chart-latency-table'), 'Latency per model part', ['Part', 'p50', 'p95'], parts.map((p) => [p, formatMs(latency[p]?.p50), formatMs(latency[p]?.p95)]));

  renderBudgets(Array.isArray(usage.budgets) ? usage.budgets : []);

  const backends = Array.isArray(usage.byBackend) ? usage.byBackend : [];
  byId('usage-backends').querySelector('tbody')?.replaceChildren(
    ...backends.map((b) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, b.backend ?? 'unknown', b.model ? h('span', { className: 'muted' }, ` ${b.model}`) : null),
        h('td', { className: 'num' }, formatCount(b.calls)),
        h('td', { className: 'num' }, formatCount(b.errors)),
        h('td', { className: 'num' }, formatUsd(b.costUsd)),
      ),
    ),
  );
}

const BUDGET_MODES = {
  block: 'blocks paid calls when spent',
  downgrade: 'switches to local models when spent',
};

function renderBudgets(budgets) {
  byId('budgets-empty').hidden = budgets.length > 0;
  byId('budgets').replaceChildren(
    ...budgets.map((b) => {
      // A budget counts US dollars or tokens (`unit`).
      const tokens = b.unit === 'tokens';
      const limit = num(tokens ? b.limitTokens : b.limitUsd);
      const spent = num(tokens ? b.spentTokens : b.spentUsd) ?? 0;
      const format = tokens ? (n) => (n === undefined ? '—' : `${Math.round(n).toLocaleString('en-US')} tokens`) : formatUsd;
      const fraction = limit ? spent / limit : 0;
      const exhausted = b.exhausted === true || (limit !== null && spent >= limit);
      const name = b.name ?? b.id ?? b.window ?? 'budget';
      const scope = [b.backend, b.caller && `key ${b.caller}`].filter(Boolean).join(', ');
      return h(
        'li',
        { className: `budget${exhausted ? ' budget-exhausted' : ''}` },
        h('div', { className: 'budget-head' }, h('strong', {}, `${name}${scope ? ` (${scope})` : ''}`), h('span', {}, `${format(spent)} of ${format(limit ?? undefined)}${limit ? ` · ${Math.round(fraction * 100)}%` : ''}`)),
        fractionBar(fraction, exhausted ? 'over' : fraction >= 0.8 ? 'near' : ''),
        h('p', { className: 'muted budget-mode' }, `${b.mode ?? 'block'}: ${BUDGET_MODES[b.mode] ?? 'applies when spent'}${exhausted ? ' · limit reached' : ''}`),
      );
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Profile
// ---------------------------------------------------------------------------------------------

async function loadProfile() {
  const error = byId('profile-error');
  try {
    const profile = await getJson('/api/profile');
    renderProfile(profile && typeof profile === 'object' ? profile : {});
    showMessage(error, '');
    freshTabs.add('profile');
  } catch (err) {
    showMessage(error, `Could not load the profile. ${describeError(err)}`);
  }
}

function isScalar(value) {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** A value of unknown shape, readably: scalars as text, short string lists as a list, the rest as JSON. */
function renderValue(value) {
  if (isScalar(value)) return document.createTextNode(value === null ? '—' : String(value));
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value.length ? h('ul', { className: 'plain-list' }, ...value.map((v) => h('li', {}, v))) : document.createTextNode('none');
  }
  return h('pre', { className: 'json' }, JSON.stringify(value, null, 2));
}

function renderProfile(profile) {
  const summary = byId('profile-summary');
  summary.replaceChildren();
  const labels = { profile: 'Profile', reason: 'Why this profile', sources: 'Configuration read from', warnings: 'Warnings' };
  for (const [key, value] of Object.entries(profile)) {
    if (key === 'parts' || key === 'config') continue;
    summary.append(h('dt', {}, labels[key] ?? key), h('dd', { id: key === 'profile' ? 'profile-name' : null, className: key === 'warnings' && Array.isArray(value) && value.length ? 'warning' : null }, renderValue(value)));
  }

  const rows = [];
  for (const part of Array.isArray(profile.parts) ? profile.parts : []) {
    const steps = Array.isArray(part.steps) ? part.steps : [];
    steps.forEach((step, i) => {
      const breaker = typeof step.breaker === 'string' ? step.breaker : (step.breaker?.state ?? 'unknown');
      const breakerClass = ['closed', 'open', 'half-open'].includes(breaker) ? breaker : 'unknown';
      rows.push(
        h(
          'tr',
          { dataset: { part: part.part } },
          i === 0 ? h('th', { scope: 'rowgroup', rowspan: String(steps.length) }, part.part) : null,
          h('td', { className: 'num' }, String(i + 1)),
          h('td', {}, step.backend ?? '—'),
          h(
            'td',
            { className: 'model' },
            step.model ?? '—',
            // A step whose model is not installed here: the chain passes over it (no call, no error).
            typeof step.unavailable === 'string' ? h('span', { className: 'badge badge-unavailable', title: capitalise(step.unavailable) }, 'not on disk') : null,
          ),
          h('td', {}, h('span', { className: `badge ${step.local ? 'badge-local' : 'badge-remote'}` }, step.local ? 'local' : 'remote')),
          h('td', {}, h('span', { className: `badge breaker breaker-${breakerClass}`, title: BREAKER_HELP[breakerClass] }, breaker)),
        ),
      );
    });
  }
  byId('profile-parts').querySelector('tbody')?.replaceChildren(...rows);

  const details = byId('profile-config');
  details.hidden = profile.config === undefined;
  byId('profile-config-json').textContent = JSON.stringify(profile.config ?? {}, null, 2);
}

const BREAKER_HELP = {
  closed: 'Closed: calls go through',
  open: 'Open: this step failed repeatedly and is skipped until it cools down',
  'half-open': 'Half-open: trying one call to see if the step recovered',
  unknown: 'State not reported',
};

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

function start() {
  setUpTabs();
  setUpAsk();
  setUpDocuments();
  setUpAdmin();
  byId('dashboard-refresh').addEventListener('click', () => void loadUsage());
  byId('profile-refresh').addEventListener('click', () => void loadProfile());
  void loadHealth();
  showTab(location.hash.slice(1) || 'ask', { updateHash: false });
}

start();
