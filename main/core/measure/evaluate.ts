// Agreement of a predicted instance label image with a reference (manual) one, over the specimen area:
// foreground IoU, and instance precision/recall/F1 where a predicted and a reference particle match when
// their IoU is >= 0.5 (at that threshold a match is unique, so no assignment problem arises).

export interface SegmentationScore {
  /** Foreground IoU, pixels of rows [0, areaHeight). */
  imageIoU: number;
  /** Instances matched at IoU >= threshold. */
  matched: number;
  predicted: number;
  reference: number;
  precision: number;
  recall: number;
  f1: number;
  /** Mean IoU of the matched pairs (null when none). */
  meanMatchedIoU: number | null;
}

export function scoreSegmentation(pred: Int32Array, ref: Int32Array, w: number, areaHeight: number, threshold = 0.5): SegmentationScore {
  const n = w * areaHeight;
  let inter = 0;
  let union = 0;
  let pMax = 0;
  let rMax = 0;
  for (let i = 0; i < n; i++) {
    const p = pred[i] > 0;
    const r = ref[i] > 0;
    if (p && r) inter++;
    if (p || r) union++;
    if (pred[i] > pMax) pMax = pred[i];
    if (ref[i] > rMax) rMax = ref[i];
  }
  const pArea = new Int32Array(pMax + 1);
  const rArea = new Int32Array(rMax + 1);
  const pairs = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const p = pred[i];
    const r = ref[i];
    pArea[p]++;
    rArea[r]++;
    if (p > 0 && r > 0) {
      const key = p * (rMax + 1) + r;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
  }
  let predicted = 0;
  let reference = 0;
  for (let l = 1; l <= pMax; l++) if (pArea[l] > 0) predicted++;
  for (let l = 1; l <= rMax; l++) if (rArea[l] > 0) reference++;
  let matched = 0;
  let iouSum = 0;
  for (const [key, c] of pairs) {
    const p = Math.floor(key / (rMax + 1));
    const r = key % (rMax + 1);
    const iou = c / (pArea[p] + rArea[r] - c);
    if (iou >= threshold) {
      matched++;
      iouSum += iou;
    }
  }
  const precision = predicted ? matched / predicted : 0;
  const recall = reference ? matched / reference : 0;
  return {
    imageIoU: union ? inter / union : 1,
    matched,
    predicted,
    reference,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    meanMatchedIoU: matched ? iouSum / matched : null,
  };
}
