"""Heart-cycle state of every 20-ms frame of every recording (research, not product code), for the
phase-channel network of harness.py ("phase": true): the HSMM segmentation of cycle_frames.py
(64-ms window, as shipped), 0 = S1, 1 = systole, 2 = S2, 3 = diastole, -1 = not segmented (< 2 s).

  CYCLE_WIN=128 /usr/bin/python3 research/phase_states.py     # tmp/research/phase-states.npz
"""
import os, time
from multiprocessing import Pool
import numpy as np
from harness import RECS, HERE
import cycle_frames as CF


def states(i):
    x = RECS[i]['x']
    out = np.full(1 + len(x) // CF.HOP, -1, np.int8)
    for state, a, b in CF.segment(x):
        out[max(a, 0):b] = state
    return out


if __name__ == '__main__':
    t = time.time()
    with Pool(int(os.environ.get('PROCS', 2))) as pool:
        all_states = pool.map(states, range(len(RECS)), chunksize=16)
    np.savez(os.path.join(HERE, 'phase-states.npz'), ids=[r['id'] for r in RECS], offsets=np.cumsum([0] + [len(s) for s in all_states]), states=np.concatenate(all_states))
    unknown = np.mean([np.mean(s < 0) for s in all_states])
    print(f'{len(all_states)} recordings in {time.time() - t:.0f} s; frames not segmented {unknown:.3f}')
