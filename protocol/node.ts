/**
 * The sans-I/O contract every protocol role implements.
 *
 * A node is a plain object with state and one entry point, `handle(input, ctx)`. It never
 * reads a clock, draws randomness, touches a socket or sets a real timer: time arrives as
 * `ctx.now`, randomness from `ctx.rng`, and every effect is appended to `ctx.out` as data.
 *
 * Call order (the drain rule): the runtime calls `handle` with one input, then applies every
 * output in `ctx.out`, in order, before it delivers the next input to any node. Outputs of one
 * `handle` are therefore atomic with respect to other inputs.
 *
 * Whose fault is it: bytes from a peer that do not decode are the peer's fault - the node
 * counts them (a `trace` output with event `malformed`) and drops them; nothing a peer sends
 * may throw. An input that makes no sense for the API (e.g. a timer the node never set) is the
 * runtime's bug and may throw.
 *
 * The same nodes run over the simulated network (`sim/`) and could run over real sockets: the
 * runtime is the only thing that differs.
 */

/** A transport endpoint: IPv4 address as an unsigned 32-bit integer, and a port. */
export interface Endpoint {
  readonly ip: number;
  readonly port: number;
}

/** Connection ids are chosen by the node for outbound connections (positive 32-bit integers), by the runtime for accepted ones (negative). */
export type ConnId = number;

/** Source of randomness handed to a node; `next()` is uniform in [0, 1). */
export interface Random {
  next(): number;
}

/** Why a connection attempt failed. */
export type ConnectFailure = 'refused' | 'timeout';

/** Why an established connection ended. */
export type CloseReason = 'closed' | 'reset' | 'timeout';

export type Input<A = unknown> =
  /** The host came up (fresh boot or restart); the node listens and starts its work. */
  | { readonly kind: 'start' }
  /** `packets`: how many of the datagrams an aggregate stood for got through (see Output `sendDatagram`); absent means 1. */
  | { readonly kind: 'datagram'; readonly localPort: number; readonly from: Endpoint; readonly bytes: Uint8Array; readonly packets?: number }
  /** An outbound `connect` succeeded. */
  | { readonly kind: 'connected'; readonly conn: ConnId }
  | { readonly kind: 'connectFailed'; readonly conn: ConnId; readonly reason: ConnectFailure }
  /** A peer connected to a port this node listens on; `conn` is assigned by the runtime (negative ids). */
  | { readonly kind: 'accepted'; readonly conn: ConnId; readonly localPort: number; readonly remote: Endpoint }
  /** One message written by the peer with one `write` (TCP is modelled per message). */
  | { readonly kind: 'data'; readonly conn: ConnId; readonly bytes: Uint8Array }
  | { readonly kind: 'closed'; readonly conn: ConnId; readonly reason: CloseReason }
  | { readonly kind: 'timer'; readonly name: string; readonly tag: number }
  /** Something the user did (log in, call, ...); the role defines `A`. */
  | { readonly kind: 'user'; readonly action: A };

export type Output =
  | { readonly kind: 'listenUdp'; readonly port: number }
  | { readonly kind: 'listenTcp'; readonly port: number }
  /**
   * `msgType` names the message for traffic accounting: the bytes themselves are obfuscated.
   * `packets` (default 1) makes the datagram an aggregate standing for that many datagrams of
   * its size (media in `flow` mode): the network counts their bytes and loses them one by one,
   * and delivers the aggregate once if any got through, telling how many (Input `datagram`).
   */
  | { readonly kind: 'sendDatagram'; readonly fromPort: number; readonly to: Endpoint; readonly bytes: Uint8Array; readonly msgType: string; readonly packets?: number }
  | { readonly kind: 'connect'; readonly conn: ConnId; readonly to: Endpoint }
  /** `packets` (default 1): the write stands for that many writes of its size (byte accounting); TCP delivers it whole. */
  | { readonly kind: 'write'; readonly conn: ConnId; readonly bytes: Uint8Array; readonly msgType: string; readonly packets?: number }
  | { readonly kind: 'close'; readonly conn: ConnId }
  /** Setting a timer that is already set replaces it. `tag` tells instances of one name apart. */
  | { readonly kind: 'setTimer'; readonly name: string; readonly tag: number; readonly delayMs: number }
  | { readonly kind: 'cancelTimer'; readonly name: string; readonly tag: number }
  /** A protocol-level event for the trace (login attempt, promotion, malformed packet ...). */
  | { readonly kind: 'trace'; readonly event: string; readonly detail?: Readonly<Record<string, string | number | boolean>> }
  /** A measurement sample (e.g. loginTimeMs = 4210); the sim aggregates them. */
  | { readonly kind: 'metric'; readonly name: string; readonly value: number; readonly labels?: Readonly<Record<string, string>> };

export interface Ctx {
  /** Simulated (or real) time in milliseconds. */
  readonly now: number;
  readonly rng: Random;
  readonly out: Output[];
}

export interface ProtocolNode<A = unknown> {
  handle(input: Input<A>, ctx: Ctx): void;
}
