import numpy as np, glob, os, sys
HERE = os.environ.get('RESEARCH_DIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '../tmp/research'))
def macc(y,p):
    y=np.asarray(y); se=(p&(y==1)).sum()/max((y==1).sum(),1); sp=(~p&(y==0)).sum()/max((y==0).sum(),1); return (se+sp)/2
def pooled_thr(y,s):
    ths=np.unique(s); m=[macc(y,s>=t) for t in ths]; return ths[int(np.argmax(m))]
def site_thr(y,s,sub,minper=3):
    subs=[k for k in set(sub) if ((y[sub==k]==1).sum()>=minper and (y[sub==k]==0).sum()>=minper)]
    ths=np.unique(s); m=[np.mean([macc(y[sub==k],s[sub==k]>=t) for k in subs]) for t in ths]; return ths[int(np.argmax(m))]
# Held-out MAcc of each leave-one-subset-out fold with the pooled and the site-balanced threshold.
for f in sorted(glob.glob(os.path.join(HERE, f'scores-{sys.argv[1]}-training-*.npz'))):
    d=np.load(f); y=d['val_y']; s=d['val_s']; sub=d['val_sub']; ty=d['test_y']; ts=d['test_s']
    print(f, 'held-out MAcc: pooled-thr %.3f  site-balanced-thr %.3f'%(macc(ty,ts>=pooled_thr(y,s)), macc(ty,ts>=site_thr(y,s,sub))))
