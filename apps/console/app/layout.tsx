import type { ReactNode } from 'react';
import { Navigation } from '../components/navigation';
import { currentSession } from '../lib/server-session';
import { signOut } from './sign-in/actions';
import './globals.css';

export const metadata = {
  title: 'HeartBeat console',
  description: 'Heart sound screening: status, screening, history, models, training and service metrics.',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await currentSession();
  return (
    <html lang="en">
      <body>
        <a className="skip" href="#content">
          Skip to content
        </a>
        <header className="top">
          <a className="brand" href="/">
            HeartBeat
          </a>
          {session ? (
            <>
              <Navigation role={session.role} />
              <div className="who">
                <span>
                  {session.name ? `${session.name} · ` : ''}
                  <span data-testid="role">{session.role}</span>
                </span>
                <form action={signOut}>
                  <button type="submit">Sign out</button>
                </form>
              </div>
            </>
          ) : null}
        </header>
        <main id="content">{children}</main>
      </body>
    </html>
  );
}
