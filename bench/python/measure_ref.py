"""Reference particle segmentation for `npm run bench -- measure`: Otsu threshold + distance-transform
watershed with scikit-image (Debian's python3-skimage), the textbook pipeline the issue compares against.

usage: measure_ref.py OUT_DIR IMAGE.pgm...   (each PGM is the specimen area, data bar already cut off)
Writes OUT_DIR/<name>.i32 (little-endian int32 labels, row-major) and prints one JSON line of timings.
"""
import json
import os
import sys
import time

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, io, morphology, segmentation
from skimage.feature import peak_local_max


def segment(img):
    smooth = filters.gaussian(img.astype(float), sigma=1.0, preserve_range=True)
    fg = smooth > filters.threshold_otsu(smooth)
    fg = ndi.binary_fill_holes(fg)
    fg = morphology.remove_small_objects(fg, 10)
    dist = ndi.distance_transform_edt(fg)
    comps, _ = ndi.label(fg)
    peaks = peak_local_max(dist, min_distance=5, labels=comps, exclude_border=False)
    markers = np.zeros(dist.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    return segmentation.watershed(-dist, markers, mask=fg).astype('<i4')


def main():
    out_dir, paths = sys.argv[1], sys.argv[2:]
    times = {}
    cpu = {}
    for p in paths:
        img = io.imread(p)
        t0 = time.perf_counter()
        c0 = time.process_time()
        labels = segment(img)
        times[os.path.basename(p)] = time.perf_counter() - t0
        cpu[os.path.basename(p)] = time.process_time() - c0
        labels.tofile(os.path.join(out_dir, os.path.splitext(os.path.basename(p))[0] + '.i32'))
    print(json.dumps({"seconds": times, "cpu": cpu}))


if __name__ == '__main__':
    main()
