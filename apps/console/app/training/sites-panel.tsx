// The sites of this installation with their operating points: labelled records, the fitted decision
// in force, its local sensitivity and specificity (with lower bounds) beside the model's own, and why
// a fit was refused. What a site calibration buys is a sensitivity-keeping threshold, not accuracy.
import type { Site, SiteCalibration } from '@heartbeat/api-client';
import { figure, percent } from '../../lib/presentation';
import type { Loaded } from '../../lib/settled';

function Decision({ calibration }: { calibration: SiteCalibration | null }) {
  if (!calibration?.decision) return <span className="muted">model&apos;s own decision</span>;
  const { slope, intercept, threshold } = calibration.decision;
  return (
    <span
      title={`p_site = sigmoid(${figure(slope)} * logit(p_model) + ${figure(intercept)}), fitted on model ${calibration.baseModelVersion}`}
    >
      threshold {figure(threshold)} (slope {figure(slope)}, intercept {figure(intercept)})
    </span>
  );
}

function LocalFigures({ calibration }: { calibration: SiteCalibration | null }) {
  const local = calibration?.local;
  if (!local) return <span className="muted">—</span>;
  return (
    <span>
      Se {percent(local.sensitivity, 0)} (≥ {percent(local.sensitivityLowerBound, 0)}), Sp{' '}
      {percent(local.specificity, 0)} (≥ {percent(local.specificityLowerBound, 0)})
      <br />
      <span className="small muted">
        model&apos;s own: Se {percent(local.modelSensitivity, 0)}, Sp {percent(local.modelSpecificity, 0)};
        AUC {figure(local.auc)}
      </span>
    </span>
  );
}

export function SitesPanel({ sites }: { sites: Loaded<{ items: Site[] }> }) {
  return (
    <section className="panel" aria-labelledby="sites-title" data-testid="sites">
      <h2 id="sites-title">Sites</h2>
      {!sites.ok ? (
        <p className="error">The sites could not be loaded: {sites.error}</p>
      ) : sites.value.items.length === 0 ? (
        <p className="muted">
          No sites yet. A site (its stethoscope and patients) gets its own operating point from at least 15
          labelled local recordings of each class: create it with POST /api/v1/sites, upload its recordings
          with its site tag, then calibrate it above.
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Site</th>
                <th scope="col">Labelled records</th>
                <th scope="col">Status</th>
                <th scope="col">Decision in force</th>
                <th scope="col">Local figures</th>
              </tr>
            </thead>
            <tbody>
              {sites.value.items.map((site) => (
                <tr key={site.name}>
                  <td>
                    {site.name}
                    {site.device ? <span className="small muted"> · {site.device}</span> : null}
                  </td>
                  <td>
                    {site.records.normal} normal, {site.records.abnormal} abnormal
                  </td>
                  <td>
                    <span className={`badge status-${site.status}`}>{site.status}</span>
                    {site.lastRefusal?.refusal ? (
                      <div className="small muted" title={site.lastRefusal.refusal.reason}>
                        last fit refused: {site.lastRefusal.refusal.code}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <Decision calibration={site.calibration} />
                  </td>
                  <td>
                    <LocalFigures calibration={site.calibration} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
