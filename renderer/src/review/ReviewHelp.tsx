import { KeyList } from '../components/KeyList.js';
import { Modal } from '../components/Modal.js';

export const REVIEW_KEYS: [string, string][] = [
  ['a', 'Accept the proposal (with the class you picked and your edits)'],
  ['x', 'Reject the proposal'],
  ['Space', 'Skip (it comes back at the end of your queue)'],
  ['Backspace', 'Undo your last decision (also after a restart)'],
  ['1 – 9', 'Accept with that class (an edit when it differs from the proposal); Backspace undoes'],
  ['/ or c', 'Type a class name (type-ahead); Enter picks it, then a accepts'],
  ['e', 'Edit the caption and answers inline (Tab: next field, Enter: done, Esc: cancel)'],
  ['q', 'Write a question–answer pair by hand (Enter saves)'],
  ['f', 'Flag for an expert'],
  ['← / →', 'Previous / next image without deciding'],
  ['+ / −  or wheel', 'Zoom in / out; drag to pan'],
  ['0', 'Fit the image'],
  ['Esc', 'Drop the picked class and edits'],
  ['?', 'This help'],
];

export function ReviewHelp({ onClose }: { onClose(): void }) {
  return (
    <Modal title="Review keys" className="help" testId="review-help" onClose={onClose}>
      <KeyList keys={REVIEW_KEYS} />
    </Modal>
  );
}
