// Full view of one image: the preview with zoom (wheel, + / -, 0 fit, 1 actual size) and pan (drag), the
// calibrated scale bar, and the metadata panel. Left / Right step through the current filtered order.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DataBarImage, ImageCalibration, ImageDetail } from '../../../main/core/contract.js';
import { api, mediaUrl } from '../api/index.js';
import { formatCount } from '../lib/format.js';
import { clampPan, fitView, zoomAt, type Size, type View } from '../lib/viewport.js';
import type { ImageList } from '../library/useImageList.js';
import { MetadataPanel } from './MetadataPanel.js';
import { ScaleBarOverlay } from './ScaleBarOverlay.js';
import { ParticleLayer } from './ParticleLayer.js';
import { DisplayControls, displayFilter, GammaFilter, NEUTRAL_DISPLAY, useGammaId, type DisplayAdjust } from './DisplayControls.js';
import { MeasureLayer, type LineTool } from './MeasureLayer.js';
import { useDragPan, useElementSize, useWheelZoom } from './usePanZoom.js';
import { MaskEditor } from './mask/MaskEditor.js';

interface ImageViewProps {
  list: ImageList;
  index: number;
  onNavigate(index: number): void;
  onClose(): void;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function ImageView({ list, index, onNavigate, onClose }: ImageViewProps) {
  const total = list.total ?? 0;
  const item = list.get(index);
  const { ensureRange } = list;

  // The neighbours are fetched too, so Left/Right never wait on a block boundary.
  useEffect(() => {
    ensureRange(Math.max(0, index - 1), index + 1);
  }, [index, ensureRange, list.revision]);

  const [detail, setDetail] = useState<ImageDetail | null>(null);
  const [detailError, setDetailError] = useState<string | null>(null);
  const id = item?.id;
  useEffect(() => {
    if (id == null) return;
    let live = true;
    setDetail(null);
    setDetailError(null);
    api.getImage(id).then(
      (d) => live && setDetail(d),
      (e: unknown) => live && setDetailError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [id]);

  // Display adjustment (screen only), line tools, and where the pixel size comes from.
  const [display, setDisplay] = useState<DisplayAdjust>(NEUTRAL_DISPLAY);
  const [displayOpen, setDisplayOpen] = useState(false);
  const [tool, setTool] = useState<LineTool | null>(null);
  // Mask editing (mask/MaskEditor.tsx takes the keys while on); unsaved edits make leaving the image ask first.
  const [editing, setEditing] = useState(false);
  const [maskDirty, setMaskDirty] = useState(false);
  const leaveEdits = useCallback(() => !maskDirty || window.confirm('The mask has unsaved changes. Discard them?'), [maskDirty]);
  const [calibration, setCalibration] = useState<ImageCalibration | null>(null);
  const [dataBar, setDataBar] = useState<DataBarImage | null>(null);
  const gammaId = useGammaId();
  useEffect(() => {
    if (id == null) return;
    let live = true;
    setCalibration(null);
    setTool(null);
    setEditing(false);
    setDataBar(null);
    api.getImageCalibration(id).then(
      (c) => live && setCalibration(c),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [id]);
  const pixelSizeNm = calibration && calibration.imageId === id ? calibration.pixelSizeNm : (item?.pixelSizeNm ?? null);
  // The data bar is cropped from previews; setting the scale shows it under the image to draw along.
  useEffect(() => {
    if (tool !== 'scale' || id == null || (dataBar && dataBar.imageId === id)) return;
    let live = true;
    api.getDataBarImage(id).then(
      (b) => live && setDataBar(b),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [tool, id, dataBar]);

  const viewportRef = useRef<HTMLDivElement>(null);
  const viewport = useElementSize(viewportRef);
  // Size of the loaded preview, tagged with its image so a late load event cannot mix two images.
  const [loaded, setLoaded] = useState<{ id: number; size: Size } | null>(null);
  const natural = loaded && loaded.id === id ? loaded.size : null;
  const [errorId, setErrorId] = useState<number | null>(null);
  const previewError = id != null && errorId === id;
  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0 });
  const [fit, setFit] = useState(true);

  // A new image opens fitted.
  useEffect(() => {
    setFit(true);
  }, [id]);

  useEffect(() => {
    if (fit && natural) setView(fitView(natural, viewport));
  }, [fit, natural, viewport]);

  useEffect(() => {
    viewportRef.current?.focus({ preventScroll: true });
  }, []);

  const zoomBy = useCallback(
    (factor: number, cx?: number, cy?: number) => {
      if (!natural) return;
      setFit(false);
      setView((v) => clampPan(zoomAt(v, factor, cx ?? viewport.width / 2, cy ?? viewport.height / 2), natural, viewport));
    },
    [natural, viewport],
  );

  const previewScale = natural && item && item.width > 0 ? natural.width / item.width : 0;

  const actualSize = useCallback(() => {
    if (!natural || !previewScale) return;
    setFit(false);
    setView((v) => clampPan(zoomAt(v, 1 / previewScale / v.scale, viewport.width / 2, viewport.height / 2), natural, viewport));
  }, [natural, previewScale, viewport]);

  useWheelZoom(viewportRef, zoomBy);
  const { dragging, onPointerDown, onPointerMove, onPointerUp } = useDragPan(natural ? view : null, (x, y) => {
    if (!natural) return;
    setFit(false);
    setView((v) => clampPan({ scale: v.scale, x, y }, natural, viewport));
  });

  const prev = useCallback(() => index > 0 && leaveEdits() && onNavigate(index - 1), [index, onNavigate, leaveEdits]);
  const next = useCallback(() => index < total - 1 && leaveEdits() && onNavigate(index + 1), [index, total, onNavigate, leaveEdits]);
  const close = useCallback(() => leaveEdits() && onClose(), [leaveEdits, onClose]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      let handled = true;
      switch (e.key) {
        case 'Escape':
          if (tool) setTool(null);
          else close();
          break;
        case 'e':
          if (natural) {
            setTool(null);
            setEditing(true);
          }
          break;
        case 'm':
          setTool((t) => (t === 'measure' ? null : 'measure'));
          break;
        case 's':
          setTool((t) => (t === 'scale' ? null : 'scale'));
          break;
        case 'ArrowLeft':
          prev();
          break;
        case 'ArrowRight':
          next();
          break;
        case '+':
        case '=':
          zoomBy(1.25);
          break;
        case '-':
        case '_':
          zoomBy(1 / 1.25);
          break;
        case '0':
          setFit(true);
          break;
        case '1':
          actualSize();
          break;
        default:
          handled = false;
      }
      if (handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [close, prev, next, zoomBy, actualSize, tool, natural]);

  // Zoom as the operator thinks of it: screen pixels per image pixel.
  const zoomPercent = previewScale ? Math.round(view.scale * previewScale * 100) : null;

  return (
    <div className="image-view" data-testid="image-view" role="dialog" aria-modal="true" aria-label={item?.fileName ?? 'Image'}>
      <div className="image-toolbar">
        <button type="button" onClick={close} title="Back to the library (Esc)">
          ← Library
        </button>
        <div className="toolbar-group">
          <button type="button" onClick={prev} disabled={index <= 0} title="Previous image (←)" aria-label="Previous image">
            ‹
          </button>
          <span className="position" aria-live="polite">
            {formatCount(index + 1)} / {formatCount(total)}
          </span>
          <button type="button" onClick={next} disabled={index >= total - 1} title="Next image (→)" aria-label="Next image">
            ›
          </button>
        </div>
        <span className="image-title" title={item?.fileName}>
          {item?.fileName ?? 'Loading…'}
        </span>
        <div className="toolbar-group">
          <button type="button" onClick={() => zoomBy(1 / 1.25)} title="Zoom out (−)" aria-label="Zoom out" disabled={!natural}>
            −
          </button>
          <span className="zoom-readout" title="Screen pixels per image pixel">
            {zoomPercent != null ? `${zoomPercent}%` : '—'}
          </span>
          <button type="button" onClick={() => zoomBy(1.25)} title="Zoom in (+)" aria-label="Zoom in" disabled={!natural}>
            +
          </button>
          <button type="button" onClick={() => setFit(true)} title="Fit (0)" className={fit ? 'active' : undefined} disabled={!natural}>
            Fit
          </button>
          <button type="button" onClick={actualSize} title="Actual size: one image pixel per screen pixel (1)" disabled={!natural}>
            1:1
          </button>
        </div>
        <div className="toolbar-group">
          <button
            type="button"
            className={tool === 'measure' ? 'active' : undefined}
            onClick={() => setTool(tool === 'measure' ? null : 'measure')}
            disabled={!natural}
            title="Measure a distance (m)"
            data-testid="tool-measure"
          >
            Measure
          </button>
          <button
            type="button"
            className={tool === 'scale' ? 'active' : undefined}
            onClick={() => setTool(tool === 'scale' ? null : 'scale')}
            disabled={!natural}
            title="Set the scale by drawing along the burned-in scale bar (s)"
            data-testid="tool-scale"
          >
            Set scale
          </button>
          <button
            type="button"
            className={editing ? 'active' : undefined}
            onClick={() => {
              setTool(null);
              setEditing(true);
            }}
            disabled={!natural || editing}
            title="Draw or correct particle outlines, saved as this image's mask for training (e)"
            data-testid="tool-mask"
          >
            Edit mask
          </button>
          <button
            type="button"
            className={displayOpen ? 'active' : undefined}
            onClick={() => setDisplayOpen((o) => !o)}
            title="Brightness, contrast and gamma of the screen image"
            data-testid="tool-display"
          >
            Display
          </button>
        </div>
      </div>
      <div className="image-body">
        <div
          ref={viewportRef}
          className={`viewport${dragging ? ' dragging' : ''}`}
          tabIndex={-1}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onDoubleClick={(e) => {
            const rect = e.currentTarget.getBoundingClientRect();
            zoomBy(2, e.clientX - rect.left, e.clientY - rect.top);
          }}
        >
          {item && !previewError && (
            <img
              key={item.id}
              className="preview"
              src={mediaUrl(item.id, 'preview')}
              alt={item.fileName}
              draggable={false}
              decoding="async"
              onLoad={(e) => setLoaded({ id: item.id, size: { width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight } })}
              onError={() => setErrorId(item.id)}
              style={
                natural
                  ? {
                      width: natural.width,
                      height: natural.height,
                      transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})`,
                      filter: displayFilter(display, gammaId),
                    }
                  : { visibility: 'hidden' }
              }
            />
          )}
          {item && !natural && !previewError && <div className="viewport-status">Loading preview…</div>}
          {previewError && <div className="viewport-status error-text">The preview could not be loaded.</div>}
          {!item && <div className="viewport-status">Loading…</div>}
          {display.gamma !== 1 && <GammaFilter id={gammaId} gamma={display.gamma} />}
          {item && natural && editing && (
            <MaskEditor key={item.id} imageId={item.id} previewScale={previewScale} view={view} onExit={() => setEditing(false)} onDirtyChange={setMaskDirty} />
          )}
          {displayOpen && <DisplayControls value={display} onChange={setDisplay} />}
          {item && natural && tool && !editing && (
            <MeasureLayer
              key={`${item.id}-${tool}`}
              tool={tool}
              view={view}
              previewScale={previewScale}
              pixelSizeNm={pixelSizeNm}
              onDone={() => setTool(null)}
              dataBar={dataBar?.imageId === item.id ? dataBar : null}
              onSetScale={async (lineLengthPx, lengthNm) => {
                const by = window.localStorage.getItem('emma.reviewer')?.trim() || 'operator';
                setCalibration(await api.setImageScale({ imageId: item.id, lineLengthPx, lengthNm, by }));
              }}
            />
          )}
          {item && natural && <ScaleBarOverlay pixelSizeNm={pixelSizeNm} previewScale={previewScale} zoom={view.scale} viewportWidth={viewport.width} />}
          {item && natural && <ParticleLayer imageId={item.id} previewScale={previewScale} view={view} hideOutlines={editing} />}
        </div>
        {item && (
          <MetadataPanel
            summary={pixelSizeNm !== item.pixelSizeNm ? { ...item, pixelSizeNm } : item}
            detail={detail?.id === item.id ? detail : null}
            detailError={detailError}
            calibration={calibration?.imageId === item.id ? calibration : null}
          />
        )}
      </div>
    </div>
  );
}
