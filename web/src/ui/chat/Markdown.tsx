import { memo, useMemo, type ReactNode } from 'react';
import { parseMarkdown, type Block, type Inline, type MentionTarget } from './markdown';
import './Markdown.css';

export interface MarkdownProps {
  text: string;
  /** `mentioned_users` of the message: their `@name` is highlighted. */
  mentions?: readonly MentionTarget[];
  /** The viewer's id: a mention of them is emphasised. */
  selfId?: string;
  /** Called when a mention is clicked (e.g. to open a profile). */
  onMentionClick?: (userId: string) => void;
}

/** Renders a message's text from our Markdown subset as React elements (never as HTML). */
export const Markdown = memo(function Markdown({ text, mentions, selfId, onMentionClick }: MarkdownProps) {
  const blocks = useMemo(() => parseMarkdown(text, { mentions, selfId }), [text, mentions, selfId]);
  return <div className="rc-md">{renderBlocks(blocks, onMentionClick)}</div>;
});

export function renderBlocks(blocks: readonly Block[], onMention?: (id: string) => void): ReactNode[] {
  return blocks.map((b, i) => {
    switch (b.t) {
      case 'p':
        return <p key={i}>{renderInline(b.c, onMention)}</p>;
      case 'code':
        return (
          <pre key={i} className="rc-md-pre" data-lang={b.lang || undefined}>
            <code>{b.v}</code>
          </pre>
        );
      case 'quote':
        return <blockquote key={i}>{renderBlocks(b.c, onMention)}</blockquote>;
      case 'list': {
        const items = b.items.map((it, j) => <li key={j}>{renderInline(it, onMention)}</li>);
        return b.ordered ? (
          <ol key={i} start={b.start === 1 ? undefined : b.start}>
            {items}
          </ol>
        ) : (
          <ul key={i}>{items}</ul>
        );
      }
    }
  });
}

export function renderInline(nodes: readonly Inline[], onMention?: (id: string) => void): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case 'text':
        return n.v;
      case 'br':
        return <br key={i} />;
      case 'strong':
        return <strong key={i}>{renderInline(n.c, onMention)}</strong>;
      case 'em':
        return <em key={i}>{renderInline(n.c, onMention)}</em>;
      case 'del':
        return <del key={i}>{renderInline(n.c, onMention)}</del>;
      case 'code':
        return (
          <code key={i} className="rc-md-code">
            {n.v}
          </code>
        );
      case 'link':
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer">
            {renderInline(n.c, onMention)}
          </a>
        );
      case 'mention': {
        const cls = n.self ? 'rc-mention rc-mention-self' : 'rc-mention';
        return onMention ? (
          <button key={i} type="button" className={cls} data-user-id={n.id} onClick={() => onMention(n.id)}>
            @{n.label}
          </button>
        ) : (
          <span key={i} className={cls} data-user-id={n.id}>
            @{n.label}
          </span>
        );
      }
    }
  });
}
