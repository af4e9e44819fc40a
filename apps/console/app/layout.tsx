import type { ReactNode } from 'react';

export const metadata = {
  title: 'HeartBeat console',
  description: 'Heart sound screening: status, batches, history and model metrics.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', margin: '2rem' }}>{children}</body>
    </html>
  );
}
