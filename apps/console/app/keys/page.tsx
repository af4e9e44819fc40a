// API keys (admin): who may call the gateway, with which role; create (secret shown once) and revoke.
import { gatewayFor, requireSession } from '../../lib/server-session';
import { load } from '../../lib/settled';
import { CreateKey, RevokeKey } from './key-forms';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'API keys · HeartBeat' };

export default async function KeysPage() {
  const session = await requireSession('admin');
  const keys = await load(gatewayFor(session).apiKeys());
  return (
    <>
      <h1>API keys</h1>
      <section className="panel" aria-labelledby="create-title">
        <h2 id="create-title">New key</h2>
        <CreateKey />
      </section>
      <section className="panel" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        {!keys.ok ? (
          <p className="error">The keys could not be loaded: {keys.error}</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {keys.value.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td>
                    <td>{key.role}</td>
                    <td>
                      <code>{key.keyPrefix}…</code>
                    </td>
                    <td>{new Date(key.createdAt).toLocaleString('en-GB')}</td>
                    <td>{key.lastUsedAt ? new Date(key.lastUsedAt).toLocaleString('en-GB') : 'never'}</td>
                    <td>
                      {key.revokedAt ? (
                        <span className="down">revoked</span>
                      ) : (
                        <RevokeKey id={key.id} name={key.name} />
                      )}
                    </td>
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
