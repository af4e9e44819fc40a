// Model versions: status, figures, confusion matrix, ROC curve, calibration plot, per-subset table
// and learning curve; admins promote, roll back and retire (with confirmation) and see the audit trail
// of those changes; screening users only read.
import Link from 'next/link';
import type { AuditEvent, ModelVersion, ValidationCurves } from '@heartbeat/api-client';
import { LearningCurve } from '../../components/learning-curve';
import { CalibrationChart, RocChart } from '../../components/validation-curves';
import { ModelActions } from '../../components/model-actions';
import { summariseModel } from '../../lib/model-metrics';
import { figure } from '../../lib/presentation';
import { gatewayFor, requireSession } from '../../lib/server-session';
import { load, type Loaded } from '../../lib/settled';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Models · HeartBeat' };

const AUDIT_ACTIONS: Record<string, string> = {
  'model.registered': 'registered',
  'model.promoted': 'promoted',
  'model.retired': 'retired',
  'model.rejected': 'rejected',
};

function Curves({ curves }: { curves: Loaded<ValidationCurves> }) {
  if (!curves.ok) return <p className="error">The ROC curve and calibration plot could not be loaded: {curves.error}</p>;
  if (!curves.value.scoresStored)
    return (
      <p className="muted">
        No ROC curve or calibration plot: this version was registered without per-recording validation scores
        (validation-scores.json); AUC and ECE above come from its metrics.
      </p>
    );
  return (
    <>
      <p className="muted small">
        On the {curves.value.count} validation recordings ({curves.value.abnormal} abnormal, {curves.value.normal}{' '}
        normal), scored by this version with its own calibration.
      </p>
      <div className="grid">
        <RocChart roc={curves.value.roc} auc={curves.value.auc} />
        <CalibrationChart reliability={curves.value.reliability} ece={curves.value.ece} />
      </div>
    </>
  );
}

function AuditTrail({ events }: { events: Loaded<{ items: AuditEvent[]; total: number }> }) {
  if (!events.ok) return <p className="error">The audit trail could not be loaded: {events.error}</p>;
  if (events.value.items.length === 0) return <p className="muted">No audit entries for this version.</p>;
  const text = (value: unknown) => (typeof value === 'string' && value ? value : '—');
  return (
    <div className="table-wrap">
      <table data-testid="model-audit" aria-label="Audit trail of this version">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Change</th>
            <th scope="col">By</th>
            <th scope="col">Reason</th>
            <th scope="col">Replaced</th>
          </tr>
        </thead>
        <tbody>
          {events.value.items.map((event) => (
            <tr key={event.id}>
              <td>{new Date(event.createdAt).toLocaleString('en-GB')}</td>
              <td>{AUDIT_ACTIONS[event.action] ?? event.action}</td>
              <td>{text(event.details.actor)}</td>
              <td>{text(event.details.reason)}</td>
              <td>{text(event.details.previousVersion)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Details({
  model,
  admin,
  curves,
  audit,
}: {
  model: ModelVersion;
  admin: boolean;
  curves: Loaded<ValidationCurves>;
  audit: Loaded<{ items: AuditEvent[]; total: number }> | null;
}) {
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
        </div>
      </div>
      <h3>ROC curve and calibration</h3>
      <Curves curves={curves} />
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
      {audit ? (
        <>
          <h3>Audit trail</h3>
          <AuditTrail events={audit} />
        </>
      ) : null}
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
  const admin = session.role === 'admin';
  const gateway = gatewayFor(session);
  // The audit log is for admins only (the gateway refuses it to screening keys).
  const [curves, audit] = selected
    ? await Promise.all([
        load(gateway.validationCurves(selected.version)),
        admin
          ? load(gateway.auditEvents({ subjectType: 'model_version', subjectId: selected.version, limit: 10 }))
          : Promise.resolve(null),
      ])
    : [null, null];
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
          {selected && curves ? <Details model={selected} admin={admin} curves={curves} audit={audit} /> : null}
        </>
      )}
    </>
  );
}
