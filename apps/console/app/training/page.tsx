// Training: the data (class distribution, labelled uploads), the current run live (progress, curve,
// log, promotion decision), past runs, and site calibration.
import type { TrainingRun } from '@heartbeat/api-client';
import { AutoRefresh } from '../../components/auto-refresh';
import { LearningCurve, type CurvePoint } from '../../components/learning-curve';
import { figure, formatDuration, percent } from '../../lib/presentation';
import { gatewayFor, requireSession } from '../../lib/server-session';
import { load } from '../../lib/settled';
import { SitesPanel } from './sites-panel';
import { CancelRun, SiteCalibration, StartTraining, UploadTrainingData } from './training-forms';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Training · HeartBeat' };

const ACTIVE = new Set(['queued', 'running']);

function curveOf(run: TrainingRun): CurvePoint[] {
  const history = run.metrics.history;
  if (!Array.isArray(history)) return [];
  return history.map((entry: Record<string, unknown>, index) => ({
    epoch: typeof entry.epoch === 'number' ? entry.epoch : index + 1,
    loss: typeof entry.loss === 'number' ? entry.loss : null,
    validationAuc: typeof entry.validationAuc === 'number' ? entry.validationAuc : null,
    validationMacc: typeof entry.validationMacc === 'number' ? entry.validationMacc : null,
  }));
}

function decisionOf(run: TrainingRun): { promote: boolean; reason: string } | null {
  const evaluation = run.metrics.evaluation as
    { decision?: { promote?: boolean; reason?: string } } | undefined;
  return evaluation?.decision?.reason
    ? { promote: evaluation.decision.promote === true, reason: evaluation.decision.reason }
    : null;
}

function CalibrationFigures({ run }: { run: TrainingRun }) {
  const figures = Object.entries(run.metrics).filter(
    ([, value]) => typeof value === 'number' || typeof value === 'string',
  );
  if (figures.length === 0) return null;
  return (
    <dl className="facts" data-testid="calibration-figures">
      {figures.map(([name, value]) => (
        <div key={name} style={{ display: 'contents' }}>
          <dt>{name}</dt>
          <dd>{typeof value === 'number' ? figure(value) : String(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function CurrentRun({ run, admin }: { run: TrainingRun; admin: boolean }) {
  const curve = curveOf(run);
  const decision = decisionOf(run);
  return (
    <section className="panel" aria-labelledby="run-title" data-testid="current-run">
      <h2 id="run-title">
        {run.kind === 'calibration'
          ? `Site calibration${run.site ? ` for ${run.site}` : ''}`
          : 'Training run'}{' '}
        <span className={`badge status-${run.status}`} data-testid="run-status">
          {run.status}
        </span>
      </h2>
      <p data-testid="run-progress">
        {percent(run.progress, 0)}
        {run.epoch !== null ? ` · epoch ${run.epoch}${run.epochs ? ` of ${run.epochs}` : ''}` : ''}
        {run.loss !== null ? ` · loss ${run.loss.toFixed(4)}` : ''}
        {run.etaSeconds !== null ? ` · about ${formatDuration(run.etaSeconds)} left` : ''}
        {run.modelVersion ? ` · version ${run.modelVersion}` : ''}
      </p>
      <progress max={1} value={run.progress} aria-label="Run progress" />
      {admin && ACTIVE.has(run.status) ? (
        <div style={{ marginTop: '.5rem' }}>
          <CancelRun runId={run.id} />
        </div>
      ) : null}
      {run.error ? <p className="error">{run.error}</p> : null}
      {decision ? (
        <p className={decision.promote ? 'note' : 'fix'} data-testid="decision">
          <strong>{decision.promote ? 'Promoted' : 'Not promoted'}:</strong> {decision.reason}
        </p>
      ) : null}
      {curve.length > 0 ? <LearningCurve points={curve} /> : null}
      {run.kind === 'calibration' ? <CalibrationFigures run={run} /> : null}
      <h3>Log (last lines)</h3>
      {run.logTail.length > 0 ? (
        <pre className="log">{run.logTail.join('\n')}</pre>
      ) : (
        <p className="muted">No log lines yet.</p>
      )}
    </section>
  );
}

export default async function TrainingPage() {
  const session = await requireSession();
  const admin = session.role === 'admin';
  const gateway = gatewayFor(session);
  const [status, runs, distribution, sites] = await Promise.all([
    load(gateway.trainingStatus()),
    load(gateway.trainingRuns({ limit: 10 })),
    load(gateway.classDistribution()),
    load(gateway.sites()),
  ]);
  const current = status.ok ? status.value.run : null;
  const active = current !== null && ACTIVE.has(current.status);

  return (
    <>
      <h1>Training</h1>
      {active ? <AutoRefresh seconds={3} renderedAt={new Date().toISOString()} /> : null}
      <div className="grid">
        <section className="panel" aria-labelledby="data-title">
          <h2 id="data-title">Training data</h2>
          {distribution.ok ? (
            <>
              <p data-testid="class-distribution">
                Uploaded labelled recordings: <strong>{distribution.value.training.normal}</strong> normal,{' '}
                <strong>{distribution.value.training.abnormal}</strong> abnormal (
                {distribution.value.training.total} in all). Runs train on the base data set plus these.
              </p>
              <ClassBars
                normal={distribution.value.training.normal}
                abnormal={distribution.value.training.abnormal}
              />
              <p className="muted small">
                Screened so far: {distribution.value.predictions.normal} normal,{' '}
                {distribution.value.predictions.abnormal} abnormal, {distribution.value.predictions.unsure}{' '}
                unsure.
              </p>
            </>
          ) : (
            <p className="error">The class distribution could not be loaded: {distribution.error}</p>
          )}
          <h3>Add labelled recordings</h3>
          <UploadTrainingData />
        </section>
        {admin ? (
          <section className="panel" aria-labelledby="start-title">
            <h2 id="start-title">Start a run</h2>
            <p className="small muted">
              Empty fields keep the defaults (a full run takes minutes to hours on CPU). The new version is
              promoted only if it beats the serving model on the same evaluation set.
            </p>
            <StartTraining disabled={active} />
            <h2 style={{ marginTop: '1rem' }}>Site calibration</h2>
            <p className="small muted">
              Refits the decision threshold on a site&apos;s labelled recordings (uploaded with its site tag);
              the weights stay.
            </p>
            <SiteCalibration />
          </section>
        ) : (
          <section className="panel">
            <h2>Runs</h2>
            <p className="muted">
              Starting and cancelling runs and site calibration need an admin key. You can upload labelled
              recordings and follow runs.
            </p>
          </section>
        )}
      </div>
      {!status.ok ? (
        <p className="error">The training status could not be loaded: {status.error}</p>
      ) : current ? (
        <CurrentRun run={current} admin={admin} />
      ) : (
        <p className="panel muted">No training run yet.{admin ? ' Start one above.' : ''}</p>
      )}
      <SitesPanel sites={sites} />
      <section className="panel" aria-labelledby="runs-title">
        <h2 id="runs-title">Recent runs</h2>
        {!runs.ok ? (
          <p className="error">{runs.error}</p>
        ) : runs.value.items.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Version</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {runs.value.items.map((run) => (
                  <tr key={run.id}>
                    <td>{new Date(run.createdAt).toLocaleString('en-GB')}</td>
                    <td>
                      {run.kind}
                      {run.site ? ` (${run.site})` : ''}
                    </td>
                    <td>
                      <span className={`badge status-${run.status}`}>{run.status}</span>
                    </td>
                    <td>{percent(run.progress, 0)}</td>
                    <td>{run.modelVersion ?? '—'}</td>
                    <td className="small">{run.error ?? decisionOf(run)?.reason ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

function ClassBars({ normal, abnormal }: { normal: number; abnormal: number }) {
  const total = Math.max(1, normal + abnormal);
  return (
    <div
      aria-hidden="true"
      style={{
        display: 'flex',
        height: 14,
        borderRadius: 4,
        overflow: 'hidden',
        background: '#d5dae0',
        margin: '.25rem 0 .5rem',
      }}
    >
      <div style={{ width: `${(normal / total) * 100}%`, background: '#1d6b33' }} />
      <div style={{ width: `${(abnormal / total) * 100}%`, background: '#b3261e' }} />
    </div>
  );
}
