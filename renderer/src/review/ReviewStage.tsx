// The image under review, large: the data-bar-free preview with zoom (wheel, + / −, 0 fit), pan (drag) and the
// calibrated scale bar. Shows the decoded element from the preview cache, so the next image paints at once.
import { forwardRef, useCallback, useImperativeHandle, useLayoutEffect, useRef, useState } from 'react';
import type { ReviewItem } from '../../../main/core/contract.js';
import { clampPan, fitView, zoomAt, type Size, type View } from '../lib/viewport.js';
import { ScaleBarOverlay } from '../viewer/ScaleBarOverlay.js';
import { useDragPan, useElementSize, useWheelZoom } from '../viewer/usePanZoom.js';
import { preview } from './imageCache.js';

export interface ReviewStageHandle {
  zoomBy(factor: number): void;
  fit(): void;
}

interface Shown {
  id: number;
  size: Size;
}

export const ReviewStage = forwardRef<ReviewStageHandle, { item: ReviewItem | null }>(function ReviewStage({ item }, ref) {
  const viewportRef = useRef<HTMLDivElement>(null);
  const hostRef = useRef<HTMLDivElement>(null);
  const imgRef = useRef<HTMLImageElement | null>(null);
  const viewport = useElementSize(viewportRef);
  const [shown, setShown] = useState<Shown | null>(null);
  const [failed, setFailed] = useState<number | null>(null);
  const [manual, setManual] = useState<{ id: number; view: View } | null>(null);
  const id = item?.image.id ?? null;

  // Swap in the decoded preview before the browser paints (same frame as the key press when it is cached).
  useLayoutEffect(() => {
    if (id == null) {
      hostRef.current?.replaceChildren();
      imgRef.current = null;
      setShown(null);
      return;
    }
    let live = true;
    const entry = preview(id);
    const show = (img: HTMLImageElement) => {
      if (!live || !hostRef.current) return;
      img.className = 'preview';
      img.draggable = false;
      img.alt = item?.image.fileName ?? '';
      img.style.width = `${img.naturalWidth}px`;
      img.style.height = `${img.naturalHeight}px`;
      hostRef.current.replaceChildren(img);
      imgRef.current = img;
      setShown({ id, size: { width: img.naturalWidth, height: img.naturalHeight } });
    };
    if (entry.img.complete && entry.img.naturalWidth > 0) show(entry.img);
    else {
      hostRef.current?.replaceChildren();
      imgRef.current = null;
      entry.ready.then(show, () => live && setFailed(id));
    }
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only the image id decides what is shown
  }, [id]);

  const natural = shown && shown.id === id ? shown.size : null;
  const view: View | null = natural ? (manual && manual.id === id ? manual.view : fitView(natural, viewport)) : null;

  useLayoutEffect(() => {
    const img = imgRef.current;
    if (img && view) img.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
  }, [view]);

  const zoomBy = useCallback(
    (factor: number, cx?: number, cy?: number) => {
      if (!natural || !view || id == null) return;
      setManual({ id, view: clampPan(zoomAt(view, factor, cx ?? viewport.width / 2, cy ?? viewport.height / 2), natural, viewport) });
    },
    [natural, view, viewport, id],
  );

  useImperativeHandle(ref, () => ({ zoomBy: (f) => zoomBy(f), fit: () => setManual(null) }), [zoomBy]);

  useWheelZoom(viewportRef, zoomBy);
  const { onPointerDown, onPointerMove, onPointerUp } = useDragPan(view, (x, y) => {
    if (!natural || !view || id == null) return;
    setManual({ id, view: clampPan({ scale: view.scale, x, y }, natural, viewport) });
  });

  const previewScale = natural && item && item.image.width > 0 ? natural.width / item.image.width : 0;
  return (
    <div
      ref={viewportRef}
      className="viewport review-stage"
      data-testid="review-stage"
      data-image-id={natural ? (id ?? '') : ''}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onDoubleClick={(e) => {
        const rect = e.currentTarget.getBoundingClientRect();
        zoomBy(2, e.clientX - rect.left, e.clientY - rect.top);
      }}
    >
      <div ref={hostRef} className="review-stage-host" />
      {item && !natural && failed !== id && <div className="viewport-status">Loading preview…</div>}
      {item && failed === id && <div className="viewport-status error-text">The preview could not be loaded.</div>}
      {!item && <div className="viewport-status">Nothing to show.</div>}
      {item && natural && view && (
        <ScaleBarOverlay pixelSizeNm={item.image.pixelSizeNm} previewScale={previewScale} zoom={view.scale} viewportWidth={viewport.width} />
      )}
    </div>
  );
});
