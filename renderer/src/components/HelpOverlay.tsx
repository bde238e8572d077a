import { useEffect, useRef } from 'react';
import { KeyList } from './KeyList.js';
import { Modal } from './Modal.js';

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
      ['Esc', 'Back to the library'],
    ],
  },
  { title: 'Anywhere', keys: [['?', 'This help']] },
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
      {SECTIONS.map((section) => (
        <section key={section.title}>
          <h3>{section.title}</h3>
          <KeyList keys={section.keys} />
        </section>
      ))}
    </Modal>
  );
}
