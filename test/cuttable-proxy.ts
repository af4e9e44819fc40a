// A TCP proxy in front of a real server (S3, PostgreSQL, Redis) that a test can cut: `cut()` drops
// every connection and refuses new ones, as an outage does, until `restore()` listens again on the same port.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class CuttableProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly targetPort: number,
    private listenPort: number,
  ) {}

  static async start(targetPort: number): Promise<CuttableProxy> {
    const proxy = new CuttableProxy(targetPort, 0);
    await proxy.restore();
    return proxy;
  }

  /** A proxy in front of the server a URL points at, and the same URL pointing at the proxy. */
  static async inFrontOf(url: string): Promise<{ proxy: CuttableProxy; url: string }> {
    const target = new URL(url);
    const defaultPort: Record<string, number> = {
      'postgres:': 5432,
      'postgresql:': 5432,
      'redis:': 6379,
      'http:': 80,
    };
    const proxy = await CuttableProxy.start(Number(target.port || defaultPort[target.protocol]));
    target.port = String(proxy.port);
    // URL.toString() adds a trailing slash to a bare origin, which the S3 client does not want.
    return { proxy, url: target.pathname === '/' && !url.endsWith('/') ? target.origin : target.toString() };
  }

  get port(): number {
    return this.listenPort;
  }

  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', resolve);
    });
    this.listenPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
