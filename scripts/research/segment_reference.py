"""Writes the research segmentation and heart-cycle features (cycle_frames.py) of the audio lib's
fixture recordings, which the TypeScript parity tests read
(libs/audio/test/fixtures/heart-sound-segments.json); segments in samples (frame x 40).
The signals are the TypeScript pipeline's own conditioned signals (dump-signals.ts)."""
import json, os
from harness import RECS
import cycle_frames as C

IDS = ['a0238', 'b0225', 'e01440']
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../libs/audio/test/fixtures/heart-sound-segments.json')
by_id = {r['id']: r for r in RECS}
result = {}
for i in IDS:
    x = by_id[i]['x']
    result[i] = {'segments': [[int(s), int(a) * C.HOP, int(b) * C.HOP] for s, a, b in C.segment(x)],
                 'cycleFeatures': [float(v) for v in C.cycle_features(x)]}
json.dump(result, open(OUT, 'w'), separators=(',', ':'))
print({k: len(v['segments']) for k, v in result.items()})
