/**
 * How the Documents tab names a document. Pure functions (no DOM), tested outside the browser.
 * The server orders the list (case-insensitively, by name then folder); the page keeps its order.
 */

/**
 * Names that more than one listed document has, compared as the server orders them (case and
 * accents ignored), lower-cased.
 * @param {Array<{ name?: string }>} documents
 * @returns {Set<string>}
 */
export function repeatedNames(documents) {
  const seen = new Set();
  const repeated = new Set();
  for (const doc of documents) {
    const key = nameKey(doc.name);
    if (seen.has(key)) repeated.add(key);
    seen.add(key);
  }
  return repeated;
}

/** @param {string | undefined} name */
function nameKey(name) {
  return String(name ?? "")
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase();
}

/**
 * A document's line in the list: its name, and what tells it apart — its title when it has one
 * other than its name, and its folder (`folder`, a short hint) when another document has the same
 * name. `detail` is empty when there is nothing to add; the page shows "name — detail".
 * @param {{ id?: string, name?: string, title?: string, folder?: string }} doc
 * @param {Set<string>} repeated see {@link repeatedNames}
 * @returns {{ name: string, detail: string }}
 */
export function documentLabel(doc, repeated) {
  const name =
    typeof doc.name === "string" && doc.name ? doc.name : doc.id ?? "document";
  const parts = [];
  if (
    typeof doc.title === "string" &&
    doc.title.trim() &&
    doc.title.trim() !== name
  )
    parts.push(doc.title.trim());
  if (
    typeof doc.folder === "string" &&
    doc.folder &&
    repeated.has(nameKey(name))
  )
    parts.push(`${doc.folder.replace(/\/+$/, "")}/`);
  return { name, detail: parts.join(" · ") };
}
