import { readersOf, readReceiptText } from './format';
import { userName, type MessageView, type ReadView } from './types';
import './indicators.css';

export interface ReadReceiptProps {
  message: MessageView;
  /** The channel's read states (`read` of `ChannelStateResponse`). */
  reads: readonly ReadView[];
  selfId?: string;
  memberCount: number;
  /** Up to this many readers are named; past it, a count. */
  maxNames?: number;
}

/** "Seen by Ann and Ben" / "Seen by 12" under the viewer's latest message; nothing when unseen. */
export function ReadReceipt({ message, reads, selfId, memberCount, maxNames = 3 }: ReadReceiptProps) {
  const readers = readersOf(message, reads, selfId);
  const text = readReceiptText(readers, memberCount, maxNames);
  if (!text) return null;
  return (
    <div className="rc-receipt" title={readers.map(userName).join(', ')}>
      {text}
    </div>
  );
}
