// Display-only brightness, contrast and gamma of the preview (CSS and an SVG transfer function on the screen
// image): the stored file, the cached preview and what the models see never change.
import { useId } from 'react';

export interface DisplayAdjust {
  brightness: number;
  contrast: number;
  gamma: number;
}

export const NEUTRAL_DISPLAY: DisplayAdjust = { brightness: 1, contrast: 1, gamma: 1 };

export function isNeutral(d: DisplayAdjust): boolean {
  return d.brightness === 1 && d.contrast === 1 && d.gamma === 1;
}

/** The CSS filter for an adjustment; `gammaFilterId` names the SVG filter DisplayFilters renders. */
export function displayFilter(d: DisplayAdjust, gammaFilterId: string): string | undefined {
  if (isNeutral(d)) return undefined;
  return [`brightness(${d.brightness})`, `contrast(${d.contrast})`, d.gamma !== 1 ? `url(#${gammaFilterId})` : ''].filter(Boolean).join(' ');
}

/** The gamma curve as an SVG filter (out = in^(1/gamma): gamma > 1 lifts the shadows). */
export function GammaFilter({ id, gamma }: { id: string; gamma: number }) {
  const e = 1 / gamma;
  return (
    <svg width="0" height="0" style={{ position: 'absolute' }} aria-hidden="true">
      <filter id={id} colorInterpolationFilters="sRGB">
        <feComponentTransfer>
          <feFuncR type="gamma" amplitude="1" exponent={e} offset="0" />
          <feFuncG type="gamma" amplitude="1" exponent={e} offset="0" />
          <feFuncB type="gamma" amplitude="1" exponent={e} offset="0" />
        </feComponentTransfer>
      </filter>
    </svg>
  );
}

export function useGammaId(): string {
  return `emma-gamma-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
}

const SLIDERS: { key: keyof DisplayAdjust; label: string; min: number; max: number }[] = [
  { key: 'brightness', label: 'Brightness', min: 0.2, max: 4 },
  { key: 'contrast', label: 'Contrast', min: 0.2, max: 4 },
  { key: 'gamma', label: 'Gamma', min: 0.25, max: 4 },
];

export function DisplayControls({ value, onChange }: { value: DisplayAdjust; onChange(d: DisplayAdjust): void }) {
  return (
    // Its own pointer and key events: a drag on a slider must not pan the image, arrows must not change the image.
    <div
      className="display-controls"
      data-testid="display-controls"
      onKeyDown={(e) => e.key !== 'Escape' && e.stopPropagation()}
      onPointerDown={(e) => e.stopPropagation()}
      onDoubleClick={(e) => e.stopPropagation()}
    >
      <p className="muted small">
        For the screen only: the file, its preview and what the models see are unchanged. 16-bit and float images are already stretched between their 0.5 and
        99.5 percentiles.
      </p>
      {SLIDERS.map((s) => (
        <label key={s.key} className="display-slider">
          <span>{s.label}</span>
          <input
            type="range"
            min={Math.log(s.min)}
            max={Math.log(s.max)}
            step={0.01}
            value={Math.log(value[s.key])}
            onChange={(e) => onChange({ ...value, [s.key]: Number(Math.exp(Number(e.target.value)).toFixed(2)) })}
            data-testid={`display-${s.key}`}
            aria-label={s.label}
          />
          <span className="mono">{value[s.key].toFixed(2)}</span>
        </label>
      ))}
      <button type="button" onClick={() => onChange(NEUTRAL_DISPLAY)} disabled={isNeutral(value)} data-testid="display-reset">
        Reset
      </button>
    </div>
  );
}
