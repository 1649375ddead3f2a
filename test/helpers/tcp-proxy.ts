/**
 * A TCP proxy the test controls, to cut a client off from a server without touching the server:
 * - `dropAll()`: destroys every open connection (both sides), like a network failure;
 * - `refuse(ms?)`: from now on (for `ms`, or until `accept()`) new connections are closed at once;
 * - `blackhole()`: open connections stay open but nothing gets through any more (a broker that stopped answering);
 * - `close()`: stops listening and drops everything.
 * Listens on 127.0.0.1 on a free port.
 */
import * as net from "node:net";

export interface TcpProxy {
  readonly port: number;
  readonly host: string;
  /** Open client connections. */
  readonly openConnections: number;
  /** Connections accepted and forwarded so far. */
  readonly acceptedTotal: number;
  dropAll(): void;
  blackhole(): void;
  refuse(ms?: number): void;
  accept(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const targetHost = target.host ?? "127.0.0.1";
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let refusing = false;
  let refuseTimer: NodeJS.Timeout | undefined;
  let acceptedTotal = 0;
  let blackholed = false;

  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    acceptedTotal += 1;
    const upstream = net.connect({ host: targetHost, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
    // Forwarded by hand rather than piped, so blackhole() can swallow data while the sockets stay open.
    client.on("data", (chunk: Buffer) => {
      if (!blackholed) upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!blackholed) client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const dropAll = (): void => {
    for (const pair of [...pairs]) {
      pair.client.destroy();
      pair.upstream.destroy();
      pairs.delete(pair);
    }
  };

  return {
    port,
    host: "127.0.0.1",
    get openConnections() {
      return pairs.size;
    },
    get acceptedTotal() {
      return acceptedTotal;
    },
    dropAll,
    blackhole() {
      blackholed = true;
    },
    refuse(ms?: number) {
      refusing = true;
      if (refuseTimer) clearTimeout(refuseTimer);
      refuseTimer = undefined;
      if (ms !== undefined) {
        refuseTimer = setTimeout(() => {
          refusing = false;
          refuseTimer = undefined;
        }, ms);
      }
    },
    accept() {
      refusing = false;
      blackholed = false;
      if (refuseTimer) clearTimeout(refuseTimer);
      refuseTimer = undefined;
    },
    async close() {
      if (refuseTimer) clearTimeout(refuseTimer);
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
