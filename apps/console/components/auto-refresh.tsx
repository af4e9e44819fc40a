'use client';
// Re-renders the server page every few seconds (live status), pausing while the tab is hidden.
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';

export function AutoRefresh({ seconds, renderedAt }: { seconds: number; renderedAt: string }) {
  const router = useRouter();
  const [on, setOn] = useState(true);
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') router.refresh();
    }, seconds * 1000);
    return () => clearInterval(timer);
  }, [on, seconds, router]);
  return (
    <p className="muted small" aria-live="polite">
      Updated {new Date(renderedAt).toLocaleTimeString()} ·{' '}
      <label style={{ display: 'inline-flex', flexDirection: 'row', gap: '.3rem', fontWeight: 400 }}>
        <input type="checkbox" checked={on} onChange={(event) => setOn(event.target.checked)} /> refresh every{' '}
        {seconds} s
      </label>
    </p>
  );
}
