import { formatFileSize } from './format';
import { safeHref } from './markdown';
import { Icon } from './icons';
import type { AttachmentView } from './types';
import './MessageRow.css';

const MAX_W = 360;
const MAX_H = 280;

/** The box an image takes before it loads: its own proportions within 360×280, or 240×180 when unknown. */
export function imageBox(a: AttachmentView): { width: number; height: number } {
  const w = a.original_width ?? 0;
  const h = a.original_height ?? 0;
  if (!(w > 0 && h > 0)) return { width: 240, height: 180 };
  const scale = Math.min(1, MAX_W / w, MAX_H / h);
  return { width: Math.max(40, Math.round(w * scale)), height: Math.max(40, Math.round(h * scale)) };
}

function safeSrc(url: string | undefined): string | null {
  if (!url) return null;
  if (url.startsWith('blob:')) return url;
  const href = safeHref(url);
  return href && !href.startsWith('mailto:') ? href : null;
}

export interface AttachmentsProps {
  attachments: readonly AttachmentView[];
  onOpenImage?: (attachment: AttachmentView) => void;
}

/** Image previews (space reserved from `original_width`/`original_height`) and file cards with a download link. */
export function Attachments({ attachments, onOpenImage }: AttachmentsProps) {
  if (!attachments.length) return null;
  return (
    <div className="rc-atts">
      {attachments.map((a, i) => {
        const isImage = a.type === 'image' || (!a.type && !!a.image_url);
        if (isImage) {
          const src = safeSrc(a.thumb_url ?? a.image_url);
          const full = safeSrc(a.image_url ?? a.thumb_url);
          if (!src) return null;
          const box = imageBox(a);
          const alt = a.title || a.fallback || 'Image';
          const img = <img src={src} alt={alt} width={box.width} height={box.height} loading="lazy" decoding="async" />;
          return (
            <div key={i} className="rc-att-img" style={{ width: box.width, height: box.height }}>
              {onOpenImage ? (
                <button type="button" className="rc-att-img-btn" aria-label={`Open image ${alt}`} onClick={() => onOpenImage(a)}>
                  {img}
                </button>
              ) : full ? (
                <a href={full} target="_blank" rel="noopener noreferrer" aria-label={`Open image ${alt}`}>
                  {img}
                </a>
              ) : (
                img
              )}
            </div>
          );
        }
        const href = safeSrc(a.asset_url ?? a.title_link);
        const title = a.title || a.fallback || 'File';
        const meta = [formatFileSize(a.file_size), a.mime_type].filter(Boolean).join(' · ');
        return (
          <div key={i} className="rc-att-file">
            <Icon name="file" />
            <span className="rc-att-file-text">
              {href ? (
                <a href={href} target="_blank" rel="noopener noreferrer" download>
                  {title}
                </a>
              ) : (
                <span>{title}</span>
              )}
              {meta && <span className="rc-muted rc-att-meta">{meta}</span>}
            </span>
          </div>
        );
      })}
    </div>
  );
}
