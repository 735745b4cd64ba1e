import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { Markdown } from './Markdown';
import { parseInline, parseMarkdown, safeHref } from './markdown';

const html = (text: string, extra: Partial<Parameters<typeof Markdown>[0]> = {}) =>
  renderToStaticMarkup(<Markdown text={text} {...extra} />).replace(/^<div class="rc-md">|<\/div>$/g, '');

describe('inline markup', () => {
  it('renders bold, italic, strike and code', () => {
    expect(html('**b** *i* _j_ __k__ ~~s~~ `c`')).toBe(
      '<p><strong>b</strong> <em>i</em> <em>j</em> <strong>k</strong> <del>s</del> <code class="rc-md-code">c</code></p>',
    );
  });
  it('nests emphasis', () => {
    expect(html('**bold _and italic_ here**')).toBe('<p><strong>bold <em>and italic</em> here</strong></p>');
    expect(html('~~**x**~~')).toBe('<p><del><strong>x</strong></del></p>');
  });
  it('leaves unclosed and stray markers as text', () => {
    expect(html('**not closed')).toBe('<p>**not closed</p>');
    expect(html('a * b * c')).toBe('<p>a * b * c</p>');
    expect(html('`open code')).toBe('<p>`open code</p>');
    expect(html('~single~')).toBe('<p>~single~</p>');
    expect(html('***')).toBe('<p>***</p>');
    expect(html('**')).toBe('<p>**</p>');
  });
  it('does not italicise snake_case words', () => {
    expect(html('use snake_case_names here')).toBe('<p>use snake_case_names here</p>');
  });
  it('keeps markup inside code literal', () => {
    expect(html('`**x** <b>`')).toBe('<p><code class="rc-md-code">**x** &lt;b&gt;</code></p>');
  });
  it('does not let emphasis cross a line', () => {
    expect(html('*a\nb*')).toBe('<p>*a<br/>b*</p>');
  });
  it('honours backslash escapes', () => {
    expect(html('\\*not italic\\*')).toBe('<p>*not italic*</p>');
  });
});

describe('links', () => {
  it('renders safe links with noopener and a new tab', () => {
    expect(html('[site](https://example.com/a?b=1)')).toBe(
      '<p><a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">site</a></p>',
    );
  });
  it('autolinks bare URLs without trailing punctuation', () => {
    expect(html('see https://example.com/x.')).toBe(
      '<p>see <a href="https://example.com/x" target="_blank" rel="noopener noreferrer">https://example.com/x</a>.</p>',
    );
    expect(html('(https://example.com/y)')).toContain('href="https://example.com/y"');
    expect(html('(https://example.com/y)')).toContain('</a>)</p>');
  });
  it('allows mailto', () => {
    expect(html('[mail](mailto:a@b.c)')).toContain('href="mailto:a@b.c"');
  });
  it.each([
    '[x](javascript:alert(1))',
    '[x](JaVaScRiPt:alert(1))',
    '[x](java\tscript:alert(1))',
    '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '[x](vbscript:msgbox)',
    '[x](//evil.example/x)',
    '[x](/relative)',
    '[x]( javascript:alert(1))',
  ])('refuses %s', (src) => {
    const out = html(src);
    expect(out).not.toContain('<a');
    expect(out).not.toMatch(/href=/);
  });
  it('does not autolink javascript: text', () => {
    expect(html('javascript:alert(1)')).toBe('<p>javascript:alert(1)</p>');
  });
  it('safeHref normalises and refuses', () => {
    expect(safeHref('HTTPS://Example.com')).toBe('https://example.com/');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('\u0000javascript:alert(1)')).toBeNull();
    expect(safeHref('https://')).toBeNull();
    expect(safeHref('')).toBeNull();
  });
  it('does not nest a link inside a link label', () => {
    const out = html('[https://a.example](https://b.example)');
    expect(out.match(/<a /g)?.length).toBe(1);
    expect(out).toContain('href="https://b.example/"');
  });
});

describe('HTML in text', () => {
  it('shows tags as text', () => {
    const out = html('<script>alert(1)</script><img src=x onerror=alert(1)>');
    expect(out).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</p>');
  });
  it('escapes attribute breakouts in link labels and URLs', () => {
    const out = html('[<b>x</b>](https://e.example/"onmouseover="alert(1))');
    expect(out).not.toContain('<b>');
    expect(out).not.toContain('" onmouseover');
    expect(out).not.toMatch(/ onmouseover=/);
  });
});

describe('blocks', () => {
  it('turns newlines into line breaks and blank lines into paragraphs', () => {
    expect(html('a\nb\n\nc')).toBe('<p>a<br/>b</p><p>c</p>');
  });
  it('renders fenced code verbatim, unclosed to the end', () => {
    expect(html('```js\nconst a = **1**;\n<b>\n```\nafter')).toBe(
      '<pre class="rc-md-pre" data-lang="js"><code>const a = **1**;\n&lt;b&gt;</code></pre><p>after</p>',
    );
    expect(html('```\nopen')).toBe('<pre class="rc-md-pre"><code>open</code></pre>');
  });
  it('renders block quotes, with markup inside', () => {
    expect(html('> quoted **b**\n> two\nafter')).toBe(
      '<blockquote><p>quoted <strong>b</strong><br/>two</p></blockquote><p>after</p>',
    );
  });
  it('renders lists', () => {
    expect(html('- one\n- *two*')).toBe('<ul><li>one</li><li><em>two</em></li></ul>');
    expect(html('3. c\n4. d')).toBe('<ol start="3"><li>c</li><li>d</li></ol>');
  });
  it('bounds quote nesting', () => {
    const deep = '>'.repeat(50) + ' x';
    const out = html(deep);
    expect((out.match(/<blockquote>/g) ?? []).length).toBeLessThanOrEqual(6);
    expect(out).toContain('x');
  });
});

describe('mentions', () => {
  const mentions = [
    { id: 'ann', name: 'Ann Lee' },
    { id: 'ben', name: 'Ben' },
  ];
  it('highlights mentioned users by name or id, longest first', () => {
    const nodes = parseInline('hi @Ann Lee and @ben!', { mentions });
    expect(nodes).toEqual([
      { t: 'text', v: 'hi ' },
      { t: 'mention', id: 'ann', label: 'Ann Lee', self: false },
      { t: 'text', v: ' and ' },
      { t: 'mention', id: 'ben', label: 'Ben', self: false },
      { t: 'text', v: '!' },
    ]);
  });
  it('emphasises a mention of the viewer', () => {
    expect(html('@Ben look', { mentions, selfId: 'ben' })).toBe(
      '<p><span class="rc-mention rc-mention-self" data-user-id="ben">@Ben</span> look</p>',
    );
  });
  it('ignores @ inside words, emails and unknown names', () => {
    expect(parseInline('mail ann@ben.com', { mentions })).toEqual([{ t: 'text', v: 'mail ann@ben.com' }]);
    expect(parseInline('@bent', { mentions })).toEqual([{ t: 'text', v: '@bent' }]);
    expect(parseInline('@zed', { mentions })).toEqual([{ t: 'text', v: '@zed' }]);
  });
});

describe('hostile input', () => {
  it('parses very long input quickly', () => {
    const pieces = ['*a ', '**b', '_c ', '`', '[', '](', 'https://x.example ', '~~', '@', '\\', '\n', '> ', '- '];
    let s = '';
    for (let i = 0; s.length < 40_000; i++) s += pieces[i % pieces.length];
    const t0 = performance.now();
    parseMarkdown(s);
    parseMarkdown('*a '.repeat(15_000));
    parseMarkdown('['.repeat(20_000));
    parseMarkdown('**'.repeat(20_000));
    parseMarkdown('x'.repeat(100_000));
    expect(performance.now() - t0).toBeLessThan(500);
  });
  it('bounds the length', () => {
    const blocks = parseMarkdown('y'.repeat(100_000));
    const p = blocks[0];
    expect(p?.t).toBe('p');
    if (p?.t === 'p' && p.c[0]?.t === 'text') expect(p.c[0].v.length).toBeLessThanOrEqual(40_001);
  });
  it('bounds inline nesting depth', () => {
    expect(() => renderToStaticMarkup(<Markdown text={'*_'.repeat(5000) + 'x' + '_*'.repeat(5000)} />)).not.toThrow();
  });
});
