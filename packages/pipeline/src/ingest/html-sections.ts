/**
 * The sections open at a point of an HTML page, scoped by the elements that contain them. A
 * heading's section lasts until a heading of the same or a higher level, or until the element
 * holding it closes (DocBook's `<div class="sect2" id="…">`, HTML's `<section>`, a note's `<div>`),
 * so text after a note or a list of settings goes back to the section around it.
 */
export class HtmlSectionStack<Element extends object> {
  private readonly open: Array<{ level: number; container: Element; blocksAtOpen: number }> = [];

  /** Depth of the innermost open section; 0 outside any. */
  get level(): number {
    return this.open[this.open.length - 1]?.level ?? 0;
  }

  /** The innermost open section's container. */
  get innermostContainer(): Element | undefined {
    return this.open[this.open.length - 1]?.container;
  }

  /**
   * The level a heading takes: its own (`<h3>` is 3), but below every open section whose
   * container encloses the heading's container (a note's `<h3>` inside a `sect2` is 4).
   * `position` gives an open element's depth in the page, -1 when it has closed.
   */
  headingLevel(own: number, container: Element, position: (element: Element) => number): number {
    const at = position(container);
    for (let i = this.open.length - 1; i >= 0; i--) {
      const section = this.open[i] as { level: number; container: Element };
      const sectionAt = position(section.container);
      if (sectionAt >= 0 && sectionAt < at) return Math.max(own, section.level + 1);
    }
    return own;
  }

  /** A section opens; `blockCount` counts the blocks emitted so far, its heading included. */
  opened(level: number, container: Element, blockCount: number): void {
    this.endFrom(level);
    this.open.push({ level, container, blocksAtOpen: blockCount });
  }

  /** True when `element` holds an open section. */
  holds(element: Element): boolean {
    return this.open.some((section) => section.container === element);
  }

  /** Sections at `level` and deeper end (a list term without an anchor, a list's end). */
  endFrom(level: number): void {
    while (this.open.length > 0 && this.level >= level) this.open.pop();
  }

  /**
   * An element closed. Sections it contained end; but a section that has no content yet moves to
   * `parent` instead (the element was a wrapper around the heading, like DocBook's `titlepage`).
   * Returns true when a section ended.
   */
  closed(element: Element, blockCount: number, parent: Element | undefined): boolean {
    let ended = false;
    for (let i = this.open.length - 1; i >= 0; i--) {
      const section = this.open[i] as { level: number; container: Element; blocksAtOpen: number };
      if (section.container !== element) continue;
      if (section.blocksAtOpen === blockCount && parent) section.container = parent;
      else {
        this.open.length = i;
        ended = true;
      }
    }
    return ended;
  }
}
