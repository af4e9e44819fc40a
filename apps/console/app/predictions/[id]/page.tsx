// One prediction's result card, opened from the history or a batch table.
import Link from 'next/link';
import { ResultCard } from '../../../components/result-card';
import { gatewayFor, requireSession } from '../../../lib/server-session';
import { load } from '../../../lib/settled';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Result · HeartBeat' };

export default async function PredictionPage({ params }: { params: Promise<{ id: string }> }) {
  const session = await requireSession();
  const { id } = await params;
  const prediction = await load(gatewayFor(session).prediction(id));
  return (
    <>
      <p className="small">
        <Link href="/history">← History</Link>
      </p>
      <h1>Result</h1>
      {prediction.ok ? (
        <ResultCard prediction={prediction.value} />
      ) : (
        <p className="error">
          {prediction.code === 'PREDICTION_NOT_FOUND' || prediction.code === 'VALIDATION_FAILED'
            ? 'There is no prediction with this id.'
            : `The prediction could not be loaded: ${prediction.error}`}
        </p>
      )}
    </>
  );
}
