// Mouse wheel zoom and drag-to-pan for an image viewport; shared by the image view and the review stage, which
// keep their own view state (the hooks only report the gestures).
import { useEffect, useLayoutEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type RefObject } from 'react';
import { wheelFactor, type Size, type View } from '../lib/viewport.js';

/** Wheel zoom about the pointer. Needs a non-passive listener so the page itself does not scroll. */
export function useWheelZoom(ref: RefObject<HTMLElement | null>, zoomBy: (factor: number, cx: number, cy: number) => void): void {
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = el.getBoundingClientRect();
      zoomBy(wheelFactor(e.deltaY, e.deltaMode), e.clientX - rect.left, e.clientY - rect.top);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [ref, zoomBy]);
}

/** Primary-button drag: calls pan(x, y) with the image's new translation; null view = nothing to drag. */
export function useDragPan(view: View | null, pan: (x: number, y: number) => void) {
  const drag = useRef<{ pointerId: number; x: number; y: number; vx: number; vy: number } | null>(null);
  return {
    /** Whether a drag is under way (as of this render; moves re-render through the caller's state). */
    dragging: drag.current !== null,
    onPointerDown(e: ReactPointerEvent<HTMLDivElement>) {
      if (e.button !== 0 || !view) return;
      e.currentTarget.setPointerCapture(e.pointerId);
      drag.current = { pointerId: e.pointerId, x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
    },
    onPointerMove(e: ReactPointerEvent<HTMLDivElement>) {
      const d = drag.current;
      if (!d || d.pointerId !== e.pointerId) return;
      pan(d.vx + e.clientX - d.x, d.vy + e.clientY - d.y);
    },
    onPointerUp(e: ReactPointerEvent<HTMLDivElement>) {
      if (drag.current?.pointerId === e.pointerId) drag.current = null;
    },
  };
}

/** The element's client size, kept current with a ResizeObserver (measured before the first paint). */
export function useElementSize(ref: RefObject<HTMLElement | null>): Size {
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setSize({ width: el.clientWidth, height: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}
