import { redirect } from 'next/navigation';
import { currentSession } from '../../lib/server-session';
import { SignInForm } from './sign-in-form';

export const metadata = { title: 'Sign in · HeartBeat' };

export default async function SignInPage() {
  if (await currentSession()) redirect('/');
  return (
    <div className="signin panel">
      <h1>Sign in</h1>
      <p>
        Sign in with your HeartBeat API key. The console keeps it in an encrypted, HTTP-only cookie and sends
        it to the gateway from the server; it never reaches this page&apos;s scripts.
      </p>
      <SignInForm />
      <p className="muted small">
        No key yet? An admin creates one:{' '}
        <code>npm run api-key -- create --role screening --name &lt;who&gt;</code> (roles:{' '}
        <code>screening</code>, <code>admin</code>). The quickstart prints an admin key.
      </p>
    </div>
  );
}
