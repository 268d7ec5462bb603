import { h } from '../dom.js';

/**
 * A small Markdown renderer for model answers. It builds DOM nodes and puts every piece of the
 * source into text nodes, so no answer (or quoted user text) can inject markup: there is no HTML
 * pass-through at all. It covers what chat answers use: paragraphs, headings, emphasis, inline
 * code, fenced code blocks (with a copy button), lists, block quotes, rules and http(s) links.
 *
 * It is re-run on the whole text as chunks arrive; an unclosed fence renders as code so far,
 * which is what a streaming reader expects to see.
 */

export interface MarkdownOptions {
  /** Builds the copy button of a code block; the caller owns its label and language. */
  copyButton?: (code: string) => HTMLElement;
}

type Block =
  | { kind: 'code'; lang: string; text: string }
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'list'; ordered: boolean; start: number; items: string[] }
  | { kind: 'quote'; lines: string[] }
  | { kind: 'rule' }
  | { kind: 'paragraph'; lines: string[] };

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^ {0,3}[-*+]\s+(.*)$/;
const ORDERED = /^ {0,3}(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;

function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] ?? '').trimStart().startsWith(marker)) body.push(lines[i++] ?? '');
      i++; // the closing fence, or past the end while it is still streaming
      blocks.push({ kind: 'code', lang: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1]?.length ?? 1, text: heading[2] ?? '' });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ kind: 'rule' });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      for (let m = QUOTE.exec(line); m && i < lines.length; m = QUOTE.exec(lines[i] ?? '')) {
        quoted.push(m[1] ?? '');
        i++;
      }
      blocks.push({ kind: 'quote', lines: quoted });
      continue;
    }
    const bullet = BULLET.exec(line);
    const ordered = ORDERED.exec(line);
    if (bullet || ordered) {
      const isOrdered = !bullet;
      const pattern = isOrdered ? ORDERED : BULLET;
      const items: string[] = [];
      while (i < lines.length) {
        const current = lines[i] ?? '';
        const m = pattern.exec(current);
        if (m) {
          items.push((isOrdered ? m[2] : m[1]) ?? '');
        } else if (current.trim() !== '' && /^\s{2,}\S/.test(current) && items.length > 0) {
          // An indented continuation line belongs to the item above.
          items[items.length - 1] += ` ${current.trim()}`;
        } else break;
        i++;
      }
      blocks.push({ kind: 'list', ordered: isOrdered, start: Number(ordered?.[1] ?? 1), items });
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length) {
      const current = lines[i] ?? '';
      if (current.trim() === '' || FENCE.test(current) || HEADING.test(current) || QUOTE.test(current)) break;
      if (paragraph.length > 0 && (BULLET.test(current) || ORDERED.test(current) || RULE.test(current))) break;
      paragraph.push(current);
      i++;
    }
    blocks.push({ kind: 'paragraph', lines: paragraph });
  }
  return blocks;
}

/** Only absolute http(s) links become anchors; anything else (javascript:, data:, relative) stays text. */
export function safeHref(raw: string): string | undefined {
  try {
    const url = new URL(raw.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function link(text: string, href: string): HTMLAnchorElement {
  return h('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank' }, text);
}

// Inline tokens, tried left to right at each position: code first (its content is literal).
const INLINE =
  /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*(?!\s)([\s\S]+?)\*|(?<![\w])_(?!\s)([\s\S]+?)_(?![\w])|~~([\s\S]+?)~~|\[([^\]\n]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

function renderInline(text: string, depth = 0): Node[] {
  const out: Node[] = [];
  let last = 0;
  const pushText = (s: string) => {
    if (s) out.push(document.createTextNode(s));
  };
  for (const m of text.matchAll(INLINE)) {
    const at = m.index ?? 0;
    pushText(text.slice(last, at));
    last = at + m[0].length;
    const nested = (s: string) => (depth > 4 ? [document.createTextNode(s)] : renderInline(s, depth + 1));
    if (m[2] !== undefined) out.push(h('code', {}, m[2].replace(/^ (.*) $/s, '$1')));
    else if (m[3] !== undefined) out.push(h('strong', {}, nested(m[3])));
    else if (m[4] !== undefined) out.push(h('strong', {}, nested(m[4])));
    else if (m[5] !== undefined) out.push(h('em', {}, nested(m[5])));
    else if (m[6] !== undefined) out.push(h('em', {}, nested(m[6])));
    else if (m[7] !== undefined) out.push(h('del', {}, nested(m[7])));
    else if (m[8] !== undefined && m[9] !== undefined) {
      const href = safeHref(m[9]);
      out.push(href ? link(m[8], href) : document.createTextNode(m[0]));
    } else if (m[10] !== undefined) {
      const href = safeHref(m[10]);
      out.push(href ? link(m[10], href) : document.createTextNode(m[10]));
    } else pushText(m[0]);
  }
  pushText(text.slice(last));
  return out;
}

/**
 * Every line break inside a paragraph is kept (as chat UIs do): models write single newlines
 * meaning them, and a user's quoted text keeps its lines.
 */
function paragraphNodes(lines: readonly string[]): Node[] {
  const out: Node[] = [];
  lines.forEach((line, index) => {
    out.push(...renderInline(line.replace(/( {2,}|\\)$/, '').trim()));
    if (index < lines.length - 1) out.push(h('br'));
  });
  return out;
}

function renderBlock(block: Block, options: MarkdownOptions): Node {
  switch (block.kind) {
    case 'code': {
      const code = h('code', block.lang ? { 'data-lang': block.lang } : {}, block.text);
      return h(
        'div',
        { class: 'code-block' },
        h('div', { class: 'code-head' }, h('span', { class: 'code-lang' }, block.lang), options.copyButton?.(block.text) ?? null),
        h('pre', {}, code),
      );
    }
    case 'heading': {
      // Answers sit under the page's own headings: their levels start at h3.
      const tag = (['h3', 'h4', 'h5', 'h6', 'h6', 'h6'] as const)[block.level - 1] ?? 'h6';
      return h(tag, {}, renderInline(block.text));
    }
    case 'list': {
      const items = block.items.map((item) => h('li', {}, renderInline(item)));
      return block.ordered ? h('ol', block.start !== 1 ? { start: block.start } : {}, items) : h('ul', {}, items);
    }
    case 'quote':
      return h('blockquote', {}, renderMarkdown(block.lines.join('\n'), options));
    case 'rule':
      return h('hr');
    case 'paragraph':
      return h('p', {}, paragraphNodes(block.lines));
  }
}

/** The rendered nodes of `source`; append them to a container (its content is replaced by the caller). */
export function renderMarkdown(source: string, options: MarkdownOptions = {}): DocumentFragment {
  const fragment = document.createDocumentFragment();
  for (const block of parseBlocks(source)) fragment.appendChild(renderBlock(block, options));
  return fragment;
}
