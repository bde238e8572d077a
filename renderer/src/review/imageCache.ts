// Decoded previews of the images about to be reviewed, so a decision paints the next image in the same frame:
// the stage shows the very <img> element decoded here (no second decode, no network).
import { mediaUrl } from '../api/index.js';

interface Entry {
  img: HTMLImageElement;
  ready: Promise<HTMLImageElement>;
  used: number;
}

const MAX = 24;
const cache = new Map<number, Entry>();
let clock = 0;

export function preview(imageId: number): Entry {
  let e = cache.get(imageId);
  if (!e) {
    const img = new Image();
    img.decoding = 'async';
    img.src = mediaUrl(imageId, 'preview');
    const ready = img.decode().then(
      () => img,
      () =>
        // decode() rejects for some images that still load; fall back to the load event.
        new Promise<HTMLImageElement>((ok, fail) => {
          if (img.complete && img.naturalWidth > 0) return ok(img);
          img.onload = () => ok(img);
          img.onerror = () => fail(new Error('The preview could not be loaded.'));
        }),
    );
    e = { img, ready, used: 0 };
    cache.set(imageId, e);
    if (cache.size > MAX) {
      const oldest = [...cache.entries()].sort((a, b) => a[1].used - b[1].used)[0];
      if (oldest && oldest[0] !== imageId) cache.delete(oldest[0]);
    }
  }
  e.used = ++clock;
  return e;
}

export function isReady(imageId: number): boolean {
  const e = cache.get(imageId);
  return !!e && e.img.complete && e.img.naturalWidth > 0;
}
