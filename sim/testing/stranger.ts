/**
 * A stranger on the network: a host that runs no protocol node and speaks raw bytes - the
 * attacker or the broken peer of a test. It sends datagrams and opens connections where the
 * test says, writes what a per-connection script says (when connected, on each message it
 * receives), and remembers everything it hears.
 */

import type { Endpoint } from '../../protocol/node.js';
import type { Kernel } from '../kernel/kernel.js';
import type { HostId, Network, NetHostHandler, TcpConnId } from '../net/index.js';

export type Heard =
  | { readonly tMs: number; readonly kind: 'datagram'; readonly from: Endpoint; readonly bytes: Uint8Array }
  | { readonly tMs: number; readonly kind: 'data'; readonly conn: TcpConnId; readonly bytes: Uint8Array }
  | { readonly tMs: number; readonly kind: 'connected' | 'connectFailed' | 'closed'; readonly conn: TcpConnId };

export interface ConnectionScript {
  /** Called once the connection is open. */
  readonly onConnected?: (conn: TcpConnId) => void;
  /** Called for every message received on it. */
  readonly onData?: (conn: TcpConnId, bytes: Uint8Array) => void;
}

/** The stranger's UDP port. */
export const STRANGER_UDP_PORT = 40_000;

export class Stranger implements NetHostHandler {
  readonly heard: Heard[] = [];
  private readonly scripts = new Map<TcpConnId, ConnectionScript>();

  constructor(
    private readonly net: Network,
    private readonly kernel: Kernel,
    readonly host: HostId,
  ) {
    net.setHandler(host, this);
    net.listenUdp(host, STRANGER_UDP_PORT);
  }

  get ip(): number {
    return this.net.ipOf(this.host);
  }

  sendUdp(to: Endpoint, bytes: Uint8Array, msgType = 'stranger'): void {
    this.net.sendUdp(this.host, STRANGER_UDP_PORT, to.ip, to.port, bytes, msgType);
  }

  connect(to: Endpoint, script: ConnectionScript = {}): TcpConnId {
    const conn = this.net.connectTcp(this.host, to.ip, to.port);
    this.scripts.set(conn, script);
    return conn;
  }

  /** Opens a connection to `to` and writes `bytes` once, when the acceptor's first message (its challenge) came. */
  writeAfterChallenge(to: Endpoint, bytes: Uint8Array): TcpConnId {
    let sent = false;
    return this.connect(to, {
      onData: (conn) => {
        if (sent) return;
        sent = true;
        this.write(conn, bytes);
      },
    });
  }

  write(conn: TcpConnId, bytes: Uint8Array, msgType = 'stranger'): void {
    this.net.write(conn, bytes, msgType);
  }

  close(conn: TcpConnId): void {
    this.net.close(conn);
  }

  /** Messages received on `conn`, in order. */
  dataOn(conn: TcpConnId): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const h of this.heard) if (h.kind === 'data' && h.conn === conn) out.push(h.bytes);
    return out;
  }

  onDatagram(_host: HostId, _localPort: number, fromIp: number, fromPort: number, bytes: Uint8Array): void {
    this.heard.push({ tMs: this.kernel.now, kind: 'datagram', from: { ip: fromIp, port: fromPort }, bytes });
  }

  onConnected(_host: HostId, conn: TcpConnId): void {
    this.heard.push({ tMs: this.kernel.now, kind: 'connected', conn });
    this.scripts.get(conn)?.onConnected?.(conn);
  }

  onConnectFailed(_host: HostId, conn: TcpConnId): void {
    this.heard.push({ tMs: this.kernel.now, kind: 'connectFailed', conn });
    this.scripts.delete(conn);
  }

  onAccepted(): void {
    // A stranger listens on no TCP port.
  }

  onData(_host: HostId, conn: TcpConnId, bytes: Uint8Array): void {
    this.heard.push({ tMs: this.kernel.now, kind: 'data', conn, bytes });
    this.scripts.get(conn)?.onData?.(conn, bytes);
  }

  onClosed(_host: HostId, conn: TcpConnId): void {
    this.heard.push({ tMs: this.kernel.now, kind: 'closed', conn });
    this.scripts.delete(conn);
  }
}
