import { formatLength } from '../lib/format.js';
import { chooseScaleBar, nmPerScreenPixel } from '../lib/scaleBar.js';

interface ScaleBarOverlayProps {
  pixelSizeNm: number | null;
  /** Preview pixels per image pixel (preview naturalWidth / image width). */
  previewScale: number;
  /** CSS pixels per preview pixel. */
  zoom: number;
  viewportWidth: number;
}

/** Calibrated scale bar: a 1/2/5 × 10^n length spanning about a fifth of the viewport. */
export function ScaleBarOverlay({ pixelSizeNm, previewScale, zoom, viewportWidth }: ScaleBarOverlayProps) {
  const nmPerPx = nmPerScreenPixel(pixelSizeNm, previewScale, zoom);
  const bar = nmPerPx != null ? chooseScaleBar(nmPerPx, viewportWidth * 0.2) : null;
  if (!bar) {
    return (
      <div
        className="scale-bar scale-bar-missing"
        data-testid="scale-bar"
        data-calibrated="false"
        title="This image has no pixel size in its metadata, so no scale can be shown"
      >
        no calibration
      </div>
    );
  }
  return (
    <div
      className="scale-bar"
      data-testid="scale-bar"
      data-calibrated="true"
      data-length-nm={bar.lengthNm}
      data-px={bar.px.toFixed(2)}
      title={`${formatLength(nmPerPx!)} per screen pixel`}
    >
      <span className="scale-bar-label">{bar.label}</span>
      <span className="scale-bar-line" style={{ width: bar.px }} aria-hidden="true" />
    </div>
  );
}
