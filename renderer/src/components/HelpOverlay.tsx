import { useEffect, useRef } from 'react';
import { KeyList } from './KeyList.js';
import { Modal } from './Modal.js';
import { REVIEW_KEYS } from '../review/ReviewHelp.js';
import { MASK_KEYS } from '../viewer/mask/MaskEditor.js';

const SECTIONS: { title: string; keys: [string, string][] }[] = [
  {
    title: 'Library',
    keys: [
      ['← → ↑ ↓', 'Move the selection'],
      ['Home / End', 'First / last image'],
      ['Page Up / Page Down', 'One screen up / down'],
      ['Enter', 'Open the selected image'],
      ['/', 'Search file names'],
    ],
  },
  {
    title: 'Image',
    keys: [
      ['← / →', 'Previous / next image'],
      ['+ / −  or wheel', 'Zoom in / out'],
      ['0', 'Fit to window'],
      ['1', 'Actual size (1 image px = 1 screen px)'],
      ['Drag', 'Pan'],
      ['m', 'Measure a distance (drag; in the image calibration)'],
      ['s', 'Set the scale by drawing along the burned-in scale bar'],
      ['e', 'Edit the particle mask (draw or correct outlines for training)'],
      ['Esc', 'Close a tool; back to the library'],
    ],
  },
  { title: 'Masks', keys: MASK_KEYS.filter(([k]) => k !== 'e') },
  { title: 'Review', keys: REVIEW_KEYS.filter(([k]) => k !== '?') },
  {
    title: 'Chat',
    keys: [
      ['Enter', 'Ask (in the question box); save (in a correction)'],
      ['Shift + Enter', 'New line'],
      ['Esc', 'Cancel a correction'],
    ],
  },
  {
    title: 'Anywhere',
    keys: [
      ['[ / ]', 'Previous / next section (Library, Teacher, Review, Train, Chat, Audit)'],
      ['?', 'This help'],
    ],
  },
];

export function HelpOverlay({ onClose }: { onClose(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    // Capture phase: while the help is open, its keys do not reach the views underneath.
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' || e.key === '?') {
        e.preventDefault();
        e.stopPropagation();
        onClose();
      } else if (e.key !== 'Tab') {
        e.stopPropagation();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      previous?.focus?.({ preventScroll: true });
    };
  }, [onClose]);
  return (
    <Modal title="Keyboard shortcuts" className="help" testId="help-overlay" onClose={onClose} dialogRef={ref}>
      <div className="help-sections">
        {SECTIONS.map((section) => (
          <section key={section.title} data-testid={`help-section-${section.title.toLowerCase()}`}>
            <h3>{section.title}</h3>
            <KeyList keys={section.keys} />
          </section>
        ))}
      </div>
    </Modal>
  );
}
