// Zoom and pan of the image view. `scale` is CSS pixels per preview pixel; (x, y) is where the preview's
// top-left corner sits in the viewport. Pure; no DOM.

export interface View {
  scale: number;
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 32;

export function fitView(image: Size, viewport: Size): View {
  if (image.width <= 0 || image.height <= 0 || viewport.width <= 0 || viewport.height <= 0) {
    return { scale: 1, x: 0, y: 0 };
  }
  const scale = Math.min(viewport.width / image.width, viewport.height / image.height);
  return {
    scale,
    x: (viewport.width - image.width * scale) / 2,
    y: (viewport.height - image.height * scale) / 2,
  };
}

/** Zoom by `factor` keeping the point (cx, cy) of the viewport fixed on the image. */
export function zoomAt(view: View, factor: number, cx: number, cy: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const k = scale / view.scale;
  return { scale, x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k };
}

/** Keep at least `margin` px of the image inside the viewport so it cannot be panned out of reach. */
export function clampPan(view: View, image: Size, viewport: Size, margin = 48): View {
  const w = image.width * view.scale;
  const h = image.height * view.scale;
  const x = Math.min(viewport.width - Math.min(margin, w), Math.max(Math.min(margin, w) - w, view.x));
  const y = Math.min(viewport.height - Math.min(margin, h), Math.max(Math.min(margin, h) - h, view.y));
  return { scale: view.scale, x, y };
}

/** Wheel delta (pixels) to a zoom factor; smooth for trackpads, one notch ≈ 1.2×. */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-Math.max(-300, Math.min(300, px)) * 0.0015);
}
