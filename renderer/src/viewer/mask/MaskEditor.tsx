// Mask editing on the image view (issue 13): draw particle outlines (click a polygon, or drag a freehand lasso),
// delete a particle by a click, cut touching ones apart along a line, merge two, paint or erase with a brush; Ctrl+Z / Ctrl+Shift+Z undo and redo;
// Ctrl+S stores the mask for the image ("drawn in Emma by <you>"), which the next Train learns from.
// It starts from the image's stored mask, else from the current measurement's labels. The data bar's rows are
// shaded and never written. Keys are caught before the image view's (capture phase) while editing.
import { useCallback, useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { EditableMask } from '../../../../main/core/contract.js';
import { api } from '../../api/index.js';
import {
  deleteParticle,
  discPixels,
  drawParticle,
  EditHistory,
  joinPatches,
  labelAt,
  labelsFromBytes,
  labelsToBytes,
  mergeParticles,
  particleCount,
  setPixels,
  splitParticles,
  unusedLabel,
  type LabelMask,
  type Patch,
  type Point,
} from './maskOps.js';

export type MaskTool = 'draw' | 'delete' | 'cut' | 'merge' | 'brush' | 'erase';

export const MASK_KEYS: [string, string][] = [
  ['e', 'Edit the particle mask (again, or Esc: leave)'],
  ['d', 'Draw: click the corners of an outline (Enter or a click on the first corner closes it), or drag a freehand lasso'],
  ['x', 'Delete the particle you click'],
  ['c', 'Cut: drag a line across touching particles to split them'],
  ['g', 'Merge: click two particles'],
  ['b / r', 'Brush: paint onto a particle (a new one on background) / erase'],
  ['[ / ]', 'Smaller / larger brush'],
  ['Backspace', 'Drop the last corner of the outline being drawn'],
  ['Ctrl+Z / Ctrl+Shift+Z', 'Undo / redo'],
  ['Ctrl+S', 'Save the mask for this image'],
  ['Space + drag', 'Pan while editing'],
];

interface MaskEditorProps {
  imageId: number;
  /** Preview pixels per image pixel. */
  previewScale: number;
  view: { scale: number; x: number; y: number };
  onExit(): void;
  onDirtyChange(dirty: boolean): void;
}

type Meta = Pick<EditableMask, 'source' | 'provenance' | 'savedAt'>;

const TOOL_NAMES: Record<MaskTool, string> = { draw: 'Draw outline', delete: 'Delete', cut: 'Cut', merge: 'Merge', brush: 'Brush', erase: 'Erase' };

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** A stable, well-spread colour per label. */
function labelColour(l: number): [number, number, number] {
  const h = (l * 0.618034) % 1;
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    return Math.round(255 * (0.55 - 0.45 * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

function paint(canvas: HTMLCanvasElement, m: LabelMask, selected: number): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(m.width, m.height);
  const px = img.data;
  const { width: w, height: h, data } = m;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const o = 4 * i;
      if (y >= m.specimenRows) {
        px[o] = 60;
        px[o + 1] = 60;
        px[o + 2] = 60;
        px[o + 3] = 110;
        continue;
      }
      const l = data[i];
      if (!l) continue;
      const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 || data[i - 1] !== l || data[i + 1] !== l || data[i - w] !== l || data[i + w] !== l;
      const [r, g, b] = l === selected ? [255, 255, 255] : labelColour(l);
      px[o] = r;
      px[o + 1] = g;
      px[o + 2] = b;
      px[o + 3] = edge ? 235 : 70;
    }
  }
  ctx.putImageData(img, 0, 0);
}

export function MaskEditor({ imageId, previewScale, view, onExit, onDirtyChange }: MaskEditorProps) {
  const maskRef = useRef<LabelMask | null>(null);
  const historyRef = useRef(new EditHistory());
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLDivElement>(null);
  const [revision, setRevision] = useState(0);
  const [meta, setMeta] = useState<Meta | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [tool, setTool] = useState<MaskTool>('draw');
  const [radius, setRadius] = useState(6);
  // The outline being drawn (image px); a ref too, so pointer and key handlers read the latest one.
  const [path, setPathState] = useState<Point[]>([]);
  const pathRef = useRef<Point[]>([]);
  const setPath = useCallback((next: Point[] | ((old: Point[]) => Point[])) => {
    pathRef.current = typeof next === 'function' ? next(pathRef.current) : next;
    setPathState(pathRef.current);
  }, []);
  const [hover, setHover] = useState<Point | null>(null);
  const [mergeFrom, setMergeFrom] = useState<Point | null>(null);
  const [cutLine, setCutLine] = useState<[Point, Point] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [leaveArmed, setLeaveArmed] = useState(false);
  const [saving, setSaving] = useState(false);
  const spaceDown = useRef(false);
  // The pointer gesture in progress: a freehand lasso or a brush stroke.
  const gesture = useRef<{ kind: 'lasso' | 'brush' | 'cut'; start: Point; moved: boolean; label: number; last: Point; patches: Patch[] } | null>(null);

  const k = previewScale * view.scale;
  const history = historyRef.current;
  const dirty = history.dirty;
  useEffect(() => onDirtyChange(dirty), [dirty, revision, onDirtyChange]);
  useEffect(() => () => onDirtyChange(false), [onDirtyChange]);
  // Closing the window or reloading with unsaved edits asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const load = useCallback(
    (prefer: 'stored' | 'measured') => {
      setLoadError(null);
      setMessage(prefer === 'measured' ? 'Measuring…' : 'Loading the mask…');
      api.getEditableMask(imageId, prefer).then(
        (m) => {
          maskRef.current = { width: m.width, height: m.height, specimenRows: m.specimenRows, data: labelsFromBytes(m.labels, m.width * m.height) };
          historyRef.current = new EditHistory();
          setMeta({ source: m.source, provenance: m.provenance, savedAt: m.savedAt });
          setPath([]);
          setMessage(null);
          setRevision((r) => r + 1);
        },
        (e: unknown) => {
          setMessage(null);
          setLoadError(e instanceof Error ? e.message : String(e));
        },
      );
    },
    [imageId, setPath],
  );
  useEffect(() => load('stored'), [load]);

  const selected = mergeFrom && maskRef.current ? labelAt(maskRef.current, mergeFrom[0], mergeFrom[1]) : 0;
  useEffect(() => {
    if (canvasRef.current && maskRef.current) paint(canvasRef.current, maskRef.current, selected);
  }, [revision, selected]);

  const commit = useCallback((p: Patch | null, what?: string) => {
    if (!p || p.idx.length === 0) return;
    historyRef.current.push(p);
    setLeaveArmed(false);
    setMessage(what ?? null);
    setRevision((r) => r + 1);
  }, []);

  const closeOutline = useCallback(
    (pts: Point[]) => {
      setPath([]);
      const m = maskRef.current;
      if (!m || pts.length < 3) return;
      const p = drawParticle(m, pts);
      if (!p) setMessage(unusedLabel(m) === null ? 'No label left (65535 particles).' : 'The outline encloses no pixel of the specimen.');
      else commit(p, `Particle drawn (${p.idx.length} px).`);
    },
    [commit, setPath],
  );

  const undo = useCallback(() => {
    if (maskRef.current && historyRef.current.undo(maskRef.current)) {
      setMessage('Undone.');
      setRevision((r) => r + 1);
    }
  }, []);
  const redo = useCallback(() => {
    if (maskRef.current && historyRef.current.redo(maskRef.current)) {
      setMessage('Redone.');
      setRevision((r) => r + 1);
    }
  }, []);

  const save = useCallback(async () => {
    const m = maskRef.current;
    if (!m || saving) return;
    setSaving(true);
    try {
      const by = window.localStorage.getItem('emma.reviewer')?.trim() || 'operator';
      const saved = await api.saveImageMask({ imageId, width: m.width, height: m.height, labels: labelsToBytes(m.data), by });
      historyRef.current.markSaved();
      setMeta({ source: 'stored', provenance: saved.provenance, savedAt: saved.savedAt });
      setMessage(`Saved: ${saved.particles} particles, ${saved.provenance}. The next Train learns from it.`);
      setLeaveArmed(false);
      setRevision((r) => r + 1);
    } catch (e) {
      setMessage(`Not saved: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setSaving(false);
    }
  }, [imageId, saving]);

  const leave = useCallback(() => {
    if (historyRef.current.dirty && !leaveArmed) {
      setLeaveArmed(true);
      setMessage('Unsaved changes: Ctrl+S saves them; Esc again discards them.');
      return;
    }
    onExit();
  }, [leaveArmed, onExit]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === ' ' && !isTyping(e.target)) spaceDown.current = true;
      if (e.defaultPrevented || isTyping(e.target) || e.altKey) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      let handled = true;
      if (mod) {
        if (key === 'z' && !e.shiftKey) undo();
        else if ((key === 'z' && e.shiftKey) || key === 'y') redo();
        else if (key === 's') void save();
        else handled = false;
      } else {
        switch (key) {
          case 'Escape':
            if (pathRef.current.length) setPath([]);
            else if (mergeFrom) setMergeFrom(null);
            else leave();
            break;
          case 'e':
            leave();
            break;
          case 'd':
            setTool('draw');
            break;
          case 'x':
            setTool('delete');
            break;
          case 'c':
            setTool('cut');
            break;
          case 'g':
            setTool('merge');
            setMergeFrom(null);
            break;
          case 'b':
            setTool('brush');
            break;
          case 'r':
            setTool('erase');
            break;
          case '[':
            setRadius((r) => Math.max(1, Math.round(r / 1.25)));
            break;
          case ']':
            setRadius((r) => Math.min(200, Math.round(r * 1.25) + 1));
            break;
          case 'Enter':
            closeOutline(pathRef.current);
            break;
          case 'Backspace':
            setPath((p) => p.slice(0, -1));
            break;
          case ' ':
            break;
          case 'ArrowLeft':
          case 'ArrowRight':
            // Another image: only without unsaved changes (the image view then steps and the editor closes).
            if (historyRef.current.dirty) setMessage('Unsaved changes: save (Ctrl+S) or discard (Esc twice) first.');
            else {
              handled = false;
              onExit();
            }
            break;
          case 'm':
          case 's':
            // The image view's line tools would cover the editor.
            setMessage('Leave mask editing first (Esc).');
            break;
          default:
            handled = false;
        }
      }
      if (handled) {
        // Also keeps the app's own keys ([ / ] switch sections) from seeing the editor's.
        e.preventDefault();
        e.stopPropagation();
      }
    };
    const onKeyUp = (e: KeyboardEvent) => {
      if (e.key === ' ') spaceDown.current = false;
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('keyup', onKeyUp, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('keyup', onKeyUp, true);
    };
  }, [undo, redo, save, leave, closeOutline, setPath, mergeFrom, onExit]);

  const toImage = (e: ReactPointerEvent): Point => {
    const rect = overlayRef.current!.getBoundingClientRect();
    return [(e.clientX - rect.left - view.x) / k, (e.clientY - rect.top - view.y) / k];
  };

  const dab = (m: LabelMask, p: Point, label: number): Patch => {
    const px = discPixels(p[0], p[1], radius, m.width, m.specimenRows);
    // Painting grows one particle without eating its neighbours; erasing removes whatever is there.
    return label ? setPixels(m, px, label, (cur) => cur === 0) : setPixels(m, px, 0);
  };

  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    const m = maskRef.current;
    if (e.button !== 0 || spaceDown.current || !m) return; // Space+drag pans (the viewport handles it)
    e.stopPropagation();
    e.currentTarget.setPointerCapture?.(e.pointerId);
    const p = toImage(e);
    setLeaveArmed(false);
    if (tool === 'draw') {
      const pts = pathRef.current;
      if (pts.length >= 3 && Math.hypot((p[0] - pts[0][0]) * k, (p[1] - pts[0][1]) * k) < 8) {
        closeOutline(pts);
        return;
      }
      gesture.current = { kind: 'lasso', start: p, moved: false, label: 0, last: p, patches: [] };
      setPath((old) => [...old, p]);
    } else if (tool === 'delete') {
      const patch = deleteParticle(m, p[0], p[1]);
      if (patch) commit(patch, `Particle deleted (${patch.idx.length} px).`);
      else setMessage('No particle there.');
    } else if (tool === 'cut') {
      gesture.current = { kind: 'cut', start: p, moved: false, label: 0, last: p, patches: [] };
      setCutLine([p, p]);
    } else if (tool === 'merge') {
      if (!mergeFrom) {
        if (labelAt(m, p[0], p[1])) setMergeFrom(p);
        else setMessage('Click a particle, then the one to merge into it.');
      } else {
        const patch = mergeParticles(m, mergeFrom, p);
        setMergeFrom(null);
        if (patch) commit(patch, 'Particles merged.');
        else setMessage('Pick two different particles.');
      }
    } else {
      const label = tool === 'erase' ? 0 : labelAt(m, p[0], p[1]) || unusedLabel(m) || 0;
      if (tool === 'brush' && !label) return;
      gesture.current = { kind: 'brush', start: p, moved: true, label, last: p, patches: [dab(m, p, label)] };
      setRevision((r) => r + 1);
    }
  };

  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>) => {
    const p = toImage(e);
    setHover(p);
    const g = gesture.current;
    const m = maskRef.current;
    if (!g || !m) return;
    const screenStep = Math.hypot((p[0] - g.last[0]) * k, (p[1] - g.last[1]) * k);
    if (g.kind === 'cut') {
      g.last = p;
      setCutLine([g.start, p]);
      return;
    }
    if (g.kind === 'lasso') {
      if (!g.moved && Math.hypot((p[0] - g.start[0]) * k, (p[1] - g.start[1]) * k) < 4) return;
      g.moved = true;
      if (screenStep < 2) return;
      g.last = p;
      setPath((old) => [...old, p]);
    } else {
      // Dabs at most half a radius apart, so a fast stroke leaves no gaps.
      const dist = Math.hypot(p[0] - g.last[0], p[1] - g.last[1]);
      const steps = Math.max(1, Math.ceil(dist / Math.max(0.5, radius / 2)));
      for (let s = 1; s <= steps; s++) {
        const t = s / steps;
        g.patches.push(dab(m, [g.last[0] + (p[0] - g.last[0]) * t, g.last[1] + (p[1] - g.last[1]) * t], g.label));
      }
      g.last = p;
      setRevision((r) => r + 1);
    }
  };

  const onPointerUp = () => {
    const g = gesture.current;
    gesture.current = null;
    if (!g) return;
    if (g.kind === 'cut') {
      setCutLine(null);
      const m = maskRef.current;
      const patch = m ? splitParticles(m, g.start, g.last) : null;
      if (patch) commit(patch, 'Cut.');
      else setMessage('The line crosses no particle.');
    } else if (g.kind === 'lasso') {
      // A drag is a freehand lasso (closed on release); a click adds one polygon corner.
      if (g.moved) closeOutline(pathRef.current);
    } else {
      const joined = joinPatches(g.patches);
      // The pixels are already painted; the history gets the stroke as one step.
      if (joined) commit(joined, g.label ? 'Painted.' : 'Erased.');
    }
  };

  const m = maskRef.current;
  const count = m ? particleCount(m) : 0;
  // `revision` changes with every edit: read it so the counts above are recomputed.
  void revision;

  return (
    <>
      {m && (
        <canvas
          ref={canvasRef}
          className="mask-canvas"
          data-testid="mask-canvas"
          width={m.width}
          height={m.height}
          style={{
            position: 'absolute',
            left: 0,
            top: 0,
            width: m.width * previewScale,
            height: m.height * previewScale,
            transformOrigin: '0 0',
            transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})`,
            imageRendering: 'pixelated',
            pointerEvents: 'none',
          }}
        />
      )}
      <div
        ref={overlayRef}
        className="mask-input"
        data-testid="mask-input"
        style={{ position: 'absolute', inset: 0, cursor: tool === 'draw' ? 'crosshair' : 'pointer' }}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onPointerLeave={() => setHover(null)}
        onDoubleClick={(e) => e.stopPropagation()}
      >
        <svg style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', pointerEvents: 'none' }}>
          <g transform={`translate(${view.x} ${view.y}) scale(${k})`}>
            {path.length > 0 && (
              <polyline
                data-testid="mask-outline-draft"
                points={[...path, ...(hover && !gesture.current ? [hover] : [])].map((p) => p.join(',')).join(' ')}
                fill="rgba(255,255,255,0.12)"
                stroke="#ffe060"
                strokeWidth={1.5 / k}
              />
            )}
            {cutLine && <line x1={cutLine[0][0]} y1={cutLine[0][1]} x2={cutLine[1][0]} y2={cutLine[1][1]} stroke="#ff6060" strokeWidth={1.5 / k} />}
            {hover && (tool === 'brush' || tool === 'erase') && (
              <circle cx={hover[0]} cy={hover[1]} r={radius} fill="none" stroke={tool === 'brush' ? '#ffe060' : '#ff6060'} strokeWidth={1 / k} />
            )}
          </g>
        </svg>
      </div>
      <div
        className="mask-panel"
        data-testid="mask-editor"
        onPointerDown={(e) => e.stopPropagation()}
        style={{ position: 'absolute', left: 8, top: 8, background: 'rgba(20,22,24,0.9)', padding: 8, borderRadius: 4, maxWidth: 420, fontSize: 12 }}
      >
        <div>
          <strong>Mask editing</strong>{' '}
          <span data-testid="mask-dirty" data-dirty={dirty ? 'true' : 'false'} className={dirty ? 'warn-text' : 'muted'}>
            {dirty ? '● unsaved changes' : 'no unsaved changes'}
          </span>
        </div>
        {loadError && <div className="error-text">{loadError}</div>}
        {meta && (
          <div data-testid="mask-source" style={{ opacity: 0.8 }}>
            {meta.source === 'stored' ? `Stored mask: ${meta.provenance}` : `From the measurement: ${meta.provenance}`}
          </div>
        )}
        <div data-testid="mask-count">{m ? `${count} particles` : 'Loading…'}</div>
        <div className="toolbar-group" role="toolbar" aria-label="Mask tools" style={{ flexWrap: 'wrap', margin: '4px 0' }}>
          {(Object.keys(TOOL_NAMES) as MaskTool[]).map((t) => (
            <button key={t} type="button" className={tool === t ? 'active' : undefined} onClick={() => setTool(t)} data-testid={`mask-tool-${t}`}>
              {TOOL_NAMES[t]}
            </button>
          ))}
        </div>
        {(tool === 'brush' || tool === 'erase') && <div>Brush radius {radius} px ([ / ])</div>}
        <div className="toolbar-group">
          <button type="button" onClick={undo} disabled={!history.canUndo} title="Undo (Ctrl+Z)" data-testid="mask-undo">
            Undo
          </button>
          <button type="button" onClick={redo} disabled={!history.canRedo} title="Redo (Ctrl+Shift+Z)" data-testid="mask-redo">
            Redo
          </button>
          <button
            type="button"
            onClick={() => void save()}
            disabled={!m || saving || !dirty}
            title="Save the mask for this image (Ctrl+S)"
            data-testid="mask-save"
          >
            {saving ? 'Saving…' : 'Save mask'}
          </button>
          <button
            type="button"
            onClick={() => (!dirty || window.confirm('Discard the unsaved changes and start from the measurement?')) && load('measured')}
            title="Start again from the current measurement's particles"
          >
            From measurement
          </button>
          <button type="button" onClick={leave} title="Leave mask editing (Esc)">
            Done
          </button>
        </div>
        {message && (
          <div data-testid="mask-message" role="status">
            {message}
          </div>
        )}
      </div>
    </>
  );
}
