// A small Markdown subset for chat messages, parsed into a tree that `Markdown.tsx` turns into React elements.
// Nothing here produces HTML: text stays text, so a `<script>` in a message is shown as those characters.
//
// Blocks: paragraphs (every newline is a line break, as in chat), fenced code blocks (```), block quotes (>),
// lists (-, *, + or 1.). Inline: **bold** / __bold__, *italic* / _italic_, ~~strike~~, `code`, [text](url),
// bare http(s) URLs, backslash escapes, and @mentions of the users the message names.
// Links keep only http:, https: and mailto: URLs; anything else is shown as text.

export type Inline =
  | { t: 'text'; v: string }
  | { t: 'strong' | 'em' | 'del'; c: Inline[] }
  | { t: 'code'; v: string }
  | { t: 'link'; href: string; c: Inline[] }
  | { t: 'mention'; id: string; label: string; self: boolean }
  | { t: 'br' };

export type Block =
  | { t: 'p'; c: Inline[] }
  | { t: 'code'; lang: string; v: string }
  | { t: 'quote'; c: Block[] }
  | { t: 'list'; ordered: boolean; start: number; items: Inline[][] };

export interface MentionTarget {
  id: string;
  name?: string;
}

export interface ParseOptions {
  /** The users the message mentions (`mentioned_users`); `@name` or `@id` of one of them becomes a mention. */
  mentions?: readonly MentionTarget[];
  /** The viewer's id: a mention of them is marked `self`. */
  selfId?: string;
}

/** Longer input is cut (with an ellipsis) before parsing: no message on the wire is longer than 20,000. */
export const MAX_INPUT = 40_000;
const MAX_DEPTH = 6;

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The URL normalised when it is http(s) or mailto, else null. */
export function safeHref(raw: string): string | null {
  const s = raw.trim();
  if (!s) return null;
  // Only absolute URLs: a relative one would resolve against the app.
  if (!/^[a-z][a-z0-9+.-]*:/i.test(s.replace(/[\u0000-\u001f\s]/g, ''))) return null;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return null;
  }
  if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
  if (url.protocol !== 'mailto:' && !url.hostname) return null;
  return url.href;
}

export function parseMarkdown(input: string, opts: ParseOptions = {}): Block[] {
  let text = input.replace(/\r\n?/g, '\n');
  if (text.length > MAX_INPUT) text = text.slice(0, MAX_INPUT) + '…';
  const ctx = makeContext(opts);
  return parseBlocks(text.split('\n'), ctx, 0);
}

interface Ctx {
  mentions: { needle: string; id: string; label: string; self: boolean }[];
}

function makeContext(opts: ParseOptions): Ctx {
  const mentions: Ctx['mentions'] = [];
  for (const m of opts.mentions ?? []) {
    const self = m.id === opts.selfId;
    const label = m.name && m.name.trim() ? m.name : m.id;
    if (m.name && m.name.trim()) mentions.push({ needle: m.name.toLowerCase(), id: m.id, label, self });
    mentions.push({ needle: m.id.toLowerCase(), id: m.id, label, self });
  }
  // Longest first, so "@Ann Lee" wins over "@Ann".
  mentions.sort((a, b) => b.needle.length - a.needle.length);
  return { mentions };
}

const FENCE = /^\s{0,3}```\s*([\w+-]*)\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const ORDERED = /^\s{0,3}(\d{1,9})[.)]\s+(.*)$/;

function parseBlocks(lines: string[], ctx: Ctx, depth: number): Block[] {
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) blocks.push({ t: 'p', c: inline(para.join('\n'), ctx, depth) });
    para = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      // A fence without its closing line runs to the end of the message.
      flush();
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^\s{0,3}```\s*$/.test(lines[i] ?? '')) body.push(lines[i++] ?? '');
      i++;
      blocks.push({ t: 'code', lang: fence[1] ?? '', v: body.join('\n') });
      continue;
    }
    if (depth < MAX_DEPTH && QUOTE.test(line)) {
      flush();
      const body: string[] = [];
      let m: RegExpExecArray | null;
      while (i < lines.length && (m = QUOTE.exec(lines[i] ?? ''))) {
        body.push(m[1] ?? '');
        i++;
      }
      blocks.push({ t: 'quote', c: parseBlocks(body, ctx, depth + 1) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const ordered = bullet ? null : ORDERED.exec(line);
    if (bullet || ordered) {
      flush();
      const isOrdered = !!ordered;
      const start = ordered ? Number(ordered[1]) : 1;
      const items: Inline[][] = [];
      while (i < lines.length) {
        const l = lines[i] ?? '';
        const m = isOrdered ? ORDERED.exec(l) : BULLET.exec(l);
        if (m) {
          items.push(inline((isOrdered ? m[2] : m[1]) ?? '', ctx, depth));
          i++;
        } else if (items.length && /^\s{2,}\S/.test(l)) {
          // An indented line continues the item above.
          const last = items[items.length - 1];
          last?.push({ t: 'br' }, ...inline(l.trim(), ctx, depth));
          i++;
        } else break;
      }
      blocks.push({ t: 'list', ordered: isOrdered, start, items });
      continue;
    }
    if (line.trim() === '') {
      flush();
      i++;
      continue;
    }
    para.push(line);
    i++;
  }
  flush();
  return blocks;
}

const URL_RE = /(?:https?:\/\/|mailto:)[^\s<>"]{1,2048}/iy;
const ESCAPABLE = '\\`*_~[]()>#+-.!@{}|';

function isWordChar(ch: string | undefined): boolean {
  return !!ch && /[\p{L}\p{N}]/u.test(ch);
}

/** Parses one paragraph's inline markup. */
export function parseInline(src: string, opts: ParseOptions = {}): Inline[] {
  return inline(src, makeContext(opts), 0);
}

function inline(src: string, c: Ctx, depth: number): Inline[] {
  const out: Inline[] = [];
  let closers: Closers | null = null;
  let nextLinkClose = -1;
  let buf = '';
  const pushText = () => {
    if (buf) out.push({ t: 'text', v: buf });
    buf = '';
  };
  let i = 0;
  const n = src.length;
  while (i < n) {
    const ch = src[i] as string;
    if (ch === '\n') {
      pushText();
      out.push({ t: 'br' });
      i++;
      continue;
    }
    if (ch === '\\' && i + 1 < n && ESCAPABLE.includes(src[i + 1] as string)) {
      buf += src[i + 1];
      i += 2;
      continue;
    }
    if (ch === '`') {
      let run = 1;
      while (src[i + run] === '`') run++;
      const fence = '`'.repeat(run);
      const end = src.indexOf(fence, i + run);
      if (end > i + run - 1 && end !== -1) {
        const code = src.slice(i + run, end);
        if (code.length) {
          pushText();
          out.push({ t: 'code', v: code.length > 2 && code.startsWith(' ') && code.endsWith(' ') ? code.slice(1, -1) : code });
          i = end + run;
          continue;
        }
      }
      buf += fence;
      i += run;
      continue;
    }
    if (ch === '[' && nextLinkClose < i) nextLinkClose = src.indexOf('](', i) === -1 ? Infinity : src.indexOf('](', i);
    if (ch === '[' && depth < MAX_DEPTH && nextLinkClose !== Infinity) {
      const link = matchLink(src, i);
      if (link) {
        const href = safeHref(link.url);
        if (href) {
          pushText();
          const label = inline(link.label, c, depth + 1).map(stripLinks);
          out.push({ t: 'link', href, c: label.length ? label : [{ t: 'text', v: href }] });
          i = link.end;
          continue;
        }
      }
    }
    if ((ch === 'h' || ch === 'H' || ch === 'm' || ch === 'M') && !isWordChar(src[i - 1])) {
      URL_RE.lastIndex = i;
      const m = URL_RE.exec(src);
      if (m) {
        let url = m[0];
        // Trailing punctuation belongs to the sentence, and an unbalanced ")" to the text around it.
        while (/[.,:;!?'"*_~]$/.test(url)) url = url.slice(0, -1);
        while (url.endsWith(')') && count(url, '(') < count(url, ')')) url = url.slice(0, -1);
        const href = safeHref(url);
        if (href && url.length > (url.toLowerCase().startsWith('mailto:') ? 7 : 8)) {
          pushText();
          out.push({ t: 'link', href, c: [{ t: 'text', v: url }] });
          i += url.length;
          continue;
        }
      }
    }
    if (ch === '@' && !isWordChar(src[i - 1])) {
      const rest = src.slice(i + 1, i + 1 + 256).toLowerCase();
      const hit = c.mentions.find((m) => rest.startsWith(m.needle) && !isWordChar(rest[m.needle.length]));
      if (hit) {
        pushText();
        out.push({ t: 'mention', id: hit.id, label: hit.label, self: hit.self });
        i += 1 + hit.needle.length;
        continue;
      }
    }
    if ((ch === '*' || ch === '_' || ch === '~') && depth < MAX_DEPTH) {
      const em = matchEmphasis(src, i, (closers ??= findClosers(src)));
      if (em) {
        pushText();
        out.push({ t: em.kind, c: inline(src.slice(em.start, em.end), c, depth + 1) });
        i = em.end + em.delim.length;
        continue;
      }
      // Not an opener: keep the whole run as text so "***" or "__" does not open anything inside.
      let run = 1;
      while (src[i + run] === ch) run++;
      buf += ch.repeat(run);
      i += run;
      continue;
    }
    buf += ch;
    i++;
  }
  pushText();
  return out;
}

function count(s: string, ch: string): number {
  let k = 0;
  for (const c of s) if (c === ch) k++;
  return k;
}

function stripLinks(node: Inline): Inline {
  if (node.t === 'link') return { t: 'text', v: flatText(node.c) };
  if (node.t === 'strong' || node.t === 'em' || node.t === 'del') return { t: node.t, c: node.c.map(stripLinks) };
  return node;
}

export function flatText(nodes: readonly Inline[]): string {
  return nodes
    .map((n) =>
      n.t === 'text' || n.t === 'code'
        ? n.v
        : n.t === 'br'
          ? '\n'
          : n.t === 'mention'
            ? `@${n.label}`
            : flatText(n.c),
    )
    .join('');
}

function matchLink(src: string, i: number): { label: string; url: string; end: number } | null {
  // [label](url): the label has no newline and balanced brackets; the url no whitespace.
  let d = 0;
  let j = i;
  for (; j < src.length && j < i + 500; j++) {
    const ch = src[j];
    if (ch === '\n') return null;
    if (ch === '\\') {
      j++;
      continue;
    }
    if (ch === '[') d++;
    else if (ch === ']' && --d === 0) break;
  }
  if (src[j] !== ']' || src[j + 1] !== '(') return null;
  const close = src.indexOf(')', j + 2);
  if (close === -1) return null;
  const url = src.slice(j + 2, close);
  if (!url || /\s/.test(url.trim()) || url.length > 2048) return null;
  return { label: src.slice(i + 1, j), url, end: close + 1 };
}

/** The positions where each delimiter (`*`, `**`, `_`, `__`, `~~`) may close emphasis, in order. */
type Closers = Map<string, number[]>;

function findClosers(src: string): Closers {
  const map: Closers = new Map();
  for (let i = 0; i < src.length; i++) {
    const ch = src[i] as string;
    if (ch !== '*' && ch !== '_' && ch !== '~') continue;
    let run = 1;
    while (src[i + run] === ch) run++;
    const before = src[i - 1];
    const after = src[i + run];
    // A closer is a run of exactly its delimiter's length that follows a non-space; "_" not inside a word.
    if (run <= 2 && before !== undefined && !/\s/.test(before) && !(ch === '_' && isWordChar(after))) {
      if (!(ch === '~' && run === 1)) {
        const key = ch.repeat(run);
        let list = map.get(key);
        if (!list) map.set(key, (list = []));
        list.push(i);
      }
    }
    i += run - 1;
  }
  return map;
}

function firstAtOrAfter(list: readonly number[], pos: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as number) < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length ? (list[lo] as number) : -1;
}

function matchEmphasis(
  src: string,
  i: number,
  closers: Closers,
): { kind: 'strong' | 'em' | 'del'; delim: string; start: number; end: number } | null {
  const ch = src[i] as string;
  let delim: string;
  let kind: 'strong' | 'em' | 'del';
  if (ch === '~') {
    if (src[i + 1] !== '~' || src[i + 2] === '~') return null;
    delim = '~~';
    kind = 'del';
  } else if (src[i + 1] === ch && src[i + 2] !== ch) {
    delim = ch + ch;
    kind = 'strong';
  } else if (src[i + 1] !== ch) {
    delim = ch;
    kind = 'em';
  } else return null;
  const start = i + delim.length;
  const first = src[start];
  // An opener is followed by a non-space; "_" does not open inside a word (snake_case stays as written).
  if (first === undefined || /\s/.test(first)) return null;
  if (ch === '_' && isWordChar(src[i - 1])) return null;
  const end = firstAtOrAfter(closers.get(delim) ?? [], start + 1);
  if (end === -1) return null;
  // Emphasis stays on one line and within a few thousand characters.
  const nl = src.indexOf('\n', start);
  if ((nl !== -1 && nl < end) || end - start > 4000) return null;
  return { kind, delim, start, end };
}
