import { requireSession } from '../../lib/server-session';
import { ScreenClient } from './screen-client';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Screen · HeartBeat' };

export default async function ScreenPage() {
  await requireSession();
  return (
    <>
      <h1>Screen recordings</h1>
      <ScreenClient />
    </>
  );
}
