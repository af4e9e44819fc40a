"""Writes the research segmentation and heart-cycle features (cycle_frames.py) of the audio lib's
fixture recordings, which the TypeScript parity tests read
(libs/audio/test/fixtures/heart-sound-segments.json; with CYCLE_WIN=128, the 64-ms window's
heart-sound-segments-win128.json); segments in samples (frame x 40).
The signals are the TypeScript pipeline's own conditioned signals (dump-signals.ts)."""
import json, os
from harness import RECS
import cycle_frames as C

IDS = ['a0238', 'b0225', 'e01440']
NAME = 'heart-sound-segments.json' if C.WIN == 80 else f'heart-sound-segments-win{C.WIN}.json'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../libs/audio/test/fixtures', NAME)
by_id = {r['id']: r for r in RECS}
result = {}
for i in IDS:
    x = by_id[i]['x']
    result[i] = {'segments': [[int(s), int(a) * C.HOP, int(b) * C.HOP] for s, a, b in C.segment(x)],
                 'cycleFeatures': [float(v) for v in C.cycle_features(x)]}
json.dump(result, open(OUT, 'w'), separators=(',', ':'))
print({k: len(v['segments']) for k, v in result.items()})
