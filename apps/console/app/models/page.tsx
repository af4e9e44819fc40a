// Model versions: status, figures, confusion matrix, per-subset table and learning curve; admins
// promote, roll back and retire (with confirmation); screening users only read.
import Link from 'next/link';
import type { ModelVersion } from '@heartbeat/api-client';
import { LearningCurve } from '../../components/learning-curve';
import { ModelActions } from '../../components/model-actions';
import { summariseModel } from '../../lib/model-metrics';
import { figure } from '../../lib/presentation';
import { gatewayFor, requireSession } from '../../lib/server-session';
import { load } from '../../lib/settled';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Models · HeartBeat' };

function Details({ model, admin }: { model: ModelVersion; admin: boolean }) {
  const summary = summariseModel(model);
  const o = summary.overall;
  const c = o?.confusion;
  return (
    <section className="panel" aria-labelledby="detail-title" data-testid="model-detail">
      <h2 id="detail-title">
        Version {model.version} <span className={`badge status-${model.status}`}>{model.status}</span>
      </h2>
      {model.statusReason ? <p className="note">Last change: {model.statusReason}</p> : null}
      {summary.decision ? (
        <p className={summary.decision.promote ? 'note' : 'fix'}>
          Promotion policy after training: {summary.decision.promote ? 'promote' : 'keep the serving model'} — {summary.decision.reason}
        </p>
      ) : null}
      {admin ? <ModelActions key={model.version} version={model.version} status={model.status} /> : <p className="muted small">Promoting, rolling back and retiring need an admin key.</p>}
      <div className="grid">
        <div>
          <h3>Validation ({o?.count ?? '—'} recordings)</h3>
          <dl className="facts">
            <dt>MAcc</dt>
            <dd>{figure(o?.macc)}</dd>
            <dt>AUC</dt>
            <dd>{figure(o?.auc)}</dd>
            <dt>Sensitivity</dt>
            <dd>{figure(o?.sensitivity)}</dd>
            <dt>Specificity</dt>
            <dd>{figure(o?.specificity)}</dd>
            <dt>Precision</dt>
            <dd>{figure(o?.precision)}</dd>
            <dt>ECE (calibration error)</dt>
            <dd>{figure(o?.ece)}</dd>
          </dl>
        </div>
        <div>
          <h3>Confusion matrix</h3>
          {c ? (
            <table aria-label="Confusion matrix">
              <thead>
                <tr>
                  <th scope="col">truth \ predicted</th>
                  <th scope="col">abnormal</th>
                  <th scope="col">normal</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">abnormal</th>
                  <td>{c.truePositive}</td>
                  <td>{c.falseNegative}</td>
                </tr>
                <tr>
                  <th scope="row">normal</th>
                  <td>{c.falsePositive}</td>
                  <td>{c.trueNegative}</td>
                </tr>
              </tbody>
            </table>
          ) : (
            <p className="muted">This version&apos;s metrics have no confusion counts.</p>
          )}
          <p className="muted small">
            ROC curve and calibration plot need each validation recording&apos;s score, which the registry does not serve yet; AUC and ECE above summarise them.
          </p>
        </div>
      </div>
      <h3>Per subset</h3>
      {summary.perSubset.length === 0 ? (
        <p className="muted">No per-subset figures for this version.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Subset</th>
                <th scope="col">Recordings</th>
                <th scope="col">MAcc</th>
                <th scope="col">AUC</th>
                <th scope="col">Sensitivity</th>
                <th scope="col">Specificity</th>
              </tr>
            </thead>
            <tbody>
              {summary.perSubset.map(({ subset, figures }) => (
                <tr key={subset}>
                  <td>{subset}</td>
                  <td>{figures.count ?? '—'}</td>
                  <td>{figure(figures.macc)}</td>
                  <td>{figure(figures.auc)}</td>
                  <td>{figure(figures.sensitivity)}</td>
                  <td>{figure(figures.specificity)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Learning curve</h3>
      {summary.history.length > 0 ? <LearningCurve points={summary.history} /> : <p className="muted">No per-epoch history recorded for this version.</p>}
    </section>
  );
}

export default async function ModelsPage({ searchParams }: { searchParams: Promise<{ version?: string }> }) {
  const session = await requireSession();
  const { version } = await searchParams;
  const models = await load(gatewayFor(session).models());
  if (!models.ok)
    return (
      <>
        <h1>Models</h1>
        <p className="error">The model versions could not be loaded: {models.error}</p>
      </>
    );
  const items = models.value.items;
  const selected = items.find((m) => m.version === version) ?? items.find((m) => m.status === 'promoted') ?? items[0];
  return (
    <>
      <h1>Models</h1>
      {items.length === 0 ? (
        <p className="muted panel">No model version is registered yet. The first inference worker registers the shipped model when it starts; training runs add candidates.</p>
      ) : (
        <>
          <section className="panel" aria-labelledby="versions-title">
            <h2 id="versions-title">Versions</h2>
            <div className="table-wrap">
              <table data-testid="model-table">
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Status</th>
                    <th scope="col">MAcc</th>
                    <th scope="col">AUC</th>
                    <th scope="col">Registered</th>
                    <th scope="col">Promoted</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((model) => {
                    const o = summariseModel(model).overall;
                    return (
                      <tr key={model.version} className="clickable" aria-selected={model.version === selected?.version}>
                        <td>
                          <Link href={`/models?version=${encodeURIComponent(model.version)}`}>{model.version}</Link>
                        </td>
                        <td>
                          <span className={`badge status-${model.status}`} data-testid={`status-${model.version}`}>
                            {model.status}
                          </span>
                        </td>
                        <td>{figure(o?.macc)}</td>
                        <td>{figure(o?.auc)}</td>
                        <td>{new Date(model.createdAt).toLocaleString('en-GB')}</td>
                        <td>{model.promotedAt ? new Date(model.promotedAt).toLocaleString('en-GB') : '—'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </section>
          {selected ? <Details model={selected} admin={session.role === 'admin'} /> : null}
        </>
      )}
    </>
  );
}
