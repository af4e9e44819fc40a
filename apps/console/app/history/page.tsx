// Prediction history: filters in the URL, pages fetched from the gateway (server-side pagination),
// and a chart of every matching prediction over time by result (counted by the gateway's database).
import Link from 'next/link';
import { HistoryChart } from '../../components/history-chart';
import { PredictionTable } from '../../components/prediction-table';
import { chartBuckets, historyHref, historyQuery, PAGE_SIZE, parseHistoryFilters } from '../../lib/history';
import { gatewayFor, requireSession } from '../../lib/server-session';
import { load } from '../../lib/settled';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'History · HeartBeat' };

export default async function HistoryPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const filters = parseHistoryFilters(await searchParams);
  const gateway = gatewayFor(session);
  // Three independent calls at once: the page of rows, the counts behind the chart, the versions.
  const [page, counts, models] = await Promise.all([
    load(
      gateway.predictionHistory(
        historyQuery(filters, { limit: PAGE_SIZE, offset: (filters.page - 1) * PAGE_SIZE }),
      ),
    ),
    // The chart shows every result for the other filters, so a label filter does not empty it.
    load(gateway.predictionCounts(historyQuery({ ...filters, label: '' }))),
    load(gateway.models()),
  ]);
  const bars = counts.ok ? chartBuckets(counts.value) : [];
  const versions = models.ok ? models.value.items.map((model) => model.version) : [];
  if (filters.modelVersion && !versions.includes(filters.modelVersion)) versions.push(filters.modelVersion);
  const pages = page.ok ? Math.max(1, Math.ceil(page.value.total / PAGE_SIZE)) : 1;
  const filtered = Boolean(
    filters.label || filters.from || filters.to || filters.batchId || filters.modelVersion,
  );

  return (
    <>
      <h1>History</h1>
      <form className="panel form-row" method="get" action="/history" aria-label="Filter the history">
        <label>
          Result
          <select name="label" defaultValue={filters.label}>
            <option value="">any</option>
            <option value="normal">normal</option>
            <option value="abnormal">abnormal</option>
            <option value="unsure">unsure</option>
          </select>
        </label>
        <label>
          From
          <input type="date" name="from" defaultValue={filters.from} />
        </label>
        <label>
          To (inclusive)
          <input type="date" name="to" defaultValue={filters.to} />
        </label>
        <label>
          Model version
          <select name="model" defaultValue={filters.modelVersion}>
            <option value="">any</option>
            {versions.map((version) => (
              <option key={version} value={version}>
                {version}
              </option>
            ))}
          </select>
        </label>
        <label>
          Batch id
          <input
            name="batch"
            defaultValue={filters.batchId}
            placeholder="uuid"
            size={38}
            pattern="[0-9a-fA-F-]{36}"
          />
        </label>
        <button type="submit">Apply</button>
        {filtered ? (
          <Link className="button secondary" href="/history">
            Clear
          </Link>
        ) : null}
      </form>

      <section className="panel" aria-labelledby="chart-title">
        <h2 id="chart-title">Predictions over time</h2>
        {!counts.ok ? (
          <p className="error">The chart could not be loaded: {counts.error}</p>
        ) : bars.length > 0 ? (
          <>
            <HistoryChart buckets={bars} unit={counts.value.bucket} />
            <p className="muted small" data-testid="chart-caption">
              Per {counts.value.bucket} (UTC), by result, for all {counts.value.totals.total} predictions
              matching the dates, batch and model version (any result): {counts.value.totals.normal} normal,{' '}
              {counts.value.totals.abnormal} abnormal, {counts.value.totals.unsure} unsure,{' '}
              {counts.value.totals.failed} failed
              {counts.value.totals.pending > 0 ? `, ${counts.value.totals.pending} pending` : ''}.
            </p>
          </>
        ) : (
          <p className="muted">Nothing to chart: no predictions match these filters.</p>
        )}
      </section>

      <section className="panel" aria-labelledby="list-title">
        <h2 id="list-title">Predictions{page.ok ? ` (${page.value.total})` : ''}</h2>
        {!page.ok ? (
          <p className="error">The history could not be loaded: {page.error}</p>
        ) : page.value.items.length === 0 ? (
          <p className="muted">
            {filtered
              ? 'No prediction matches these filters; widen the dates or clear the filters.'
              : 'No predictions yet. Screen a recording on the Screen page.'}
          </p>
        ) : (
          <>
            <PredictionTable
              items={page.value.items}
              caption="Newest first. Open a recording for its result card."
            />
            <nav className="pager" aria-label="Pages">
              {filters.page > 1 ? (
                <Link href={historyHref(filters, { page: filters.page - 1 })}>← Newer</Link>
              ) : (
                <span className="muted">← Newer</span>
              )}
              <span data-testid="page-of">
                Page {filters.page} of {pages}
              </span>
              {filters.page < pages ? (
                <Link href={historyHref(filters, { page: filters.page + 1 })}>Older →</Link>
              ) : (
                <span className="muted">Older →</span>
              )}
            </nav>
          </>
        )}
      </section>
    </>
  );
}
