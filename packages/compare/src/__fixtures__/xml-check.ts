/** An element of a parsed XML document. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Text directly inside the element, entities decoded. */
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  return raw.replace(/&([^;\s&<]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) throw new Error(`bare "&" in ${where}`);
    if (body in ENTITIES) return ENTITIES[body] as string;
    if (/^#\d+$/.test(body)) return String.fromCodePoint(Number(body.slice(1)));
    if (/^#x[0-9a-f]+$/i.test(body)) return String.fromCodePoint(parseInt(body.slice(2), 16));
    throw new Error(`unknown entity &${body}; in ${where}`);
  });
}

/**
 * A strict, small XML parser for the tests: one root element, properly nested and closed tags,
 * quoted and unique attributes, only the five predefined entities (and numeric ones), no `<` in
 * text. Throws on anything not well-formed; no DTDs, no processing instructions but the prolog.
 */
export function parseXml(source: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (message: string): never => {
    throw new Error(`${message} at offset ${i}: ${JSON.stringify(source.slice(i, i + 40))}`);
  };
  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  while (i < source.length) {
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
      continue;
    }
    if (source.startsWith('</', i)) {
      const match = NAME.exec(source.slice(i + 2));
      if (!match) fail('bad closing tag');
      const name = (match as RegExpExecArray)[0];
      const open = stack.pop();
      if (!open || open.name !== name) fail(`closing </${name}> does not match <${open?.name ?? 'nothing'}>`);
      i += 2 + name.length;
      while (/\s/.test(source[i] ?? '')) i++;
      if (source[i] !== '>') fail('closing tag not ended by ">"');
      i++;
      continue;
    }
    if (source[i] === '<') {
      if (source[i + 1] === '!' || source[i + 1] === '?') fail('declarations and processing instructions are not expected');
      const match = NAME.exec(source.slice(i + 1));
      if (!match) fail('bad tag name');
      const element: XmlElement = { name: (match as RegExpExecArray)[0], attributes: {}, children: [], text: '' };
      i += 1 + element.name.length;
      for (;;) {
        const space = /^\s*/.exec(source.slice(i))?.[0].length ?? 0;
        i += space;
        if (source.startsWith('/>', i) || source[i] === '>') break;
        if (space === 0) fail('attributes must be separated by white space');
        const attr = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(source.slice(i));
        if (!attr) fail('bad attribute');
        const [whole, name, , double, single] = attr as RegExpExecArray;
        if ((name as string) in element.attributes) fail(`attribute ${name} repeated`);
        element.attributes[name as string] = decode((double ?? single) as string, `attribute ${name}`);
        i += whole.length;
      }
      const parent = stack.at(-1);
      if (parent) parent.children.push(element);
      else if (root) fail('more than one root element');
      else root = element;
      if (source.startsWith('/>', i)) i += 2;
      else {
        i++;
        stack.push(element);
      }
      continue;
    }
    const next = source.indexOf('<', i);
    const raw = source.slice(i, next < 0 ? source.length : next);
    const parent = stack.at(-1);
    if (parent) parent.text += decode(raw, `<${parent.name}>`);
    else if (raw.trim() !== '') fail('text outside the root element');
    i = next < 0 ? source.length : next;
  }
  if (stack.length > 0) fail(`<${stack.at(-1)?.name}> is not closed`);
  if (!root) return fail('no root element');
  return root;
}

/** Every element below `element` (itself included), depth first. */
export function allElements(element: XmlElement): XmlElement[] {
  return [element, ...element.children.flatMap(allElements)];
}
