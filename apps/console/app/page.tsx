// The console's first page. Status, uploads, batches and charts arrive with the console issue; for
// now it says where the API is.
const gatewayUrl = process.env.HEARTBEAT_GATEWAY_URL ?? 'http://127.0.0.1:8000';

export default function HomePage() {
  return (
    <main>
      <h1>HeartBeat</h1>
      <p>Heart sound screening. The console is being built; the API is ready.</p>
      <ul>
        <li>
          API: <a href={gatewayUrl}>{gatewayUrl}</a> (documentation at <a href={`${gatewayUrl}/docs`}>/docs</a>)
        </li>
        <li>
          Console health: <a href="/api/health">/api/health</a>
        </li>
      </ul>
    </main>
  );
}
