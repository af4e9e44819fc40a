# Site calibration on 30 labelled records of each leave-one-subset-out fold (200 random draws): MAcc on the
# other records with the model's threshold, an MAcc-argmax threshold, a threshold at the calibrated prior,
# and the best threshold chosen on those other records themselves (the ceiling).
import numpy as np, glob, os, sys
from sklearn.linear_model import LogisticRegression
def macc(y,p):
    se=(p&(y==1)).sum()/max((y==1).sum(),1); sp=(~p&(y==0)).sum()/max((y==0).sum(),1); return (se+sp)/2
def argmax_thr(y,s):
    ths=np.unique(s); m=[macc(y,s>=t) for t in ths]; best=max(m); idx=[i for i,v in enumerate(m) if v>=best-1e-12]; return ths[idx[(len(idx)-1)//2]]
def pooled_thr(y,s): return argmax_thr(y,s)
HERE = os.environ.get('RESEARCH_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../tmp/research'))
rng=np.random.default_rng(0)
for name in sys.argv[1:]:
  for f in sorted(glob.glob(os.path.join(HERE, f'scores-{name}-training-*.npz'))):
    d=np.load(f); ty=d['test_y']; ts=d['test_s']; vy=d['val_y']; vs=d['val_s']
    default=pooled_thr(vy,vs)
    res={'default':[], 'argmax30':[], 'prior30':[], 'best_rest':[]}
    for rep in range(200):
        pos=np.where(ty==1)[0]; neg=np.where(ty==0)[0]
        npos=max(2,min(len(pos)-1,round(30*len(pos)/len(ty)))); nneg=min(len(neg)-1,30-npos)
        cal=np.concatenate([rng.choice(pos,npos,replace=False), rng.choice(neg,nneg,replace=False)])
        rest=np.setdiff1d(np.arange(len(ty)),cal)
        cy,cs=ty[cal],ts[cal]; ry,rs=ty[rest],ts[rest]
        res['default'].append(macc(ry, rs>=default))
        res['argmax30'].append(macc(ry, rs>=argmax_thr(cy,cs)))
        lr=LogisticRegression(C=1e6).fit(cs[:,None],cy); pi=cy.mean()
        if lr.coef_[0,0] > 0:
            res['prior30'].append(macc(ry, lr.predict_proba(rs[:,None])[:,1] >= pi))
        else: res['prior30'].append(np.nan)
        res['best_rest'].append(macc(ry, rs>=argmax_thr(ry,rs)))
    print(os.path.basename(f), ' '.join(f'{k} {np.nanmean(v):.3f}' for k,v in res.items()))
