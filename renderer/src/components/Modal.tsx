// The frame every dialog shares: backdrop (click closes), an ARIA dialog that takes focus, a title and ×.
// Key handling stays with each dialog (help overlays swallow keys; forms must not).
import { useEffect, useRef, type ReactNode, type RefObject } from 'react';

interface ModalProps {
  title: string;
  className: string;
  testId: string;
  onClose(): void;
  children: ReactNode;
  /** The dialog element, for callers that manage focus themselves. */
  dialogRef?: RefObject<HTMLDivElement | null>;
}

export function Modal({ title, className, testId, onClose, children, dialogRef }: ModalProps) {
  const own = useRef<HTMLDivElement>(null);
  const ref = dialogRef ?? own;
  useEffect(() => {
    ref.current?.focus();
  }, [ref]);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        ref={ref}
        className={`modal ${className}`}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        tabIndex={-1}
        data-testid={testId}
        onClick={(e) => e.stopPropagation()}
      >
        <div className="modal-header">
          <h2>{title}</h2>
          <button type="button" className="icon" onClick={onClose} aria-label="Close">
            ×
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}
