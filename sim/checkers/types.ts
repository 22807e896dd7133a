/**
 * What the invariant checkers look at and what they report.
 *
 * Checkers read a `WorldView`: a plain snapshot of the world's truth (who is up, where, behind
 * what NAT and firewall, as configured) beside what each protocol node believes (its login
 * state, its SN, its host cache). They never read the trace and never change the world. The
 * view is built from a sim/world World by view.ts; a test can also write one by hand, which is
 * how the checkers' own tests make them fire.
 *
 * A checker may keep memory between calls (when a condition first became false), because
 * several invariants hold only "after a detection window": it is built once per world and
 * called at every step with the view of that moment.
 */

import type { Endpoint } from '../../protocol/node.js';
import type { ProtocolParams } from '../../protocol/params.js';
import type { LoginState } from '../../protocol/roles/login.js';
import type { FirewallKind, TcpParams } from '../net/index.js';

/** One broken invariant at one moment. */
export interface Violation {
  readonly timeMs: number;
  /** Which invariant: `sn-attachment`, `unique-session`, `host-cache`, `sn-placement`, `liveness`. */
  readonly invariant: string;
  /** The host the violation is about (its world name), or the LS's name. */
  readonly host: string;
  readonly message: string;
}

/** What a protocol host node says about itself (HostNode's observation surface). */
export interface NodeView {
  readonly state: LoginState;
  /** Its UDP and TCP port; with the host's address, the endpoint it is known by as an SN. */
  readonly port: number;
  /** The SN it is attached to (or logging in through): the SN's host-cache entry. */
  readonly currentSuperNode: Endpoint | undefined;
  readonly isSuperNode: boolean;
  /** Names of the clients attached to it while it serves; empty otherwise. */
  readonly clientNames: readonly string[];
  readonly hostCache: readonly Endpoint[];
}

/** A host that runs the host role: an ordinary host or a bootstrap SN. */
export interface HostView {
  readonly name: string;
  readonly kind: 'host' | 'bootstrap';
  readonly region: string;
  /** Configured truth: whether it has a public address (no NAT box in front of it). */
  readonly publicAddress: boolean;
  /** Configured truth: the NAT preset or custom type in front of it, or `none`. */
  readonly natName: string;
  readonly firewall: FirewallKind;
  /** Its interface address (private behind a NAT). */
  readonly ip: number;
  /** The protocol node while the host is up. */
  readonly node: NodeView | undefined;
  /** The user name it logs in with (the host name unless a test chose another). */
  readonly user: string;
  /** The host cache on its disk (what survives a crash), for hosts that are down. */
  readonly diskHostCache: readonly Endpoint[] | undefined;
}

export interface LoginServerView {
  readonly name: string;
  readonly region: string;
  readonly up: boolean;
  /** Names with an active session (LoginServerNode.sessionNames). */
  readonly sessionNames: readonly string[];
}

export interface WorldView {
  readonly nowMs: number;
  readonly params: ProtocolParams;
  readonly tcp: TcpParams;
  readonly hosts: readonly HostView[];
  readonly loginServers: readonly LoginServerView[];
  /** The bootstrap list every fresh install knows (BS-7). */
  readonly bootstrap: readonly Endpoint[];
  /** Whether a partition cuts every path between two different regions now (checkers never ask about one region with itself). */
  cut(regionA: string, regionB: string): boolean;
}

/** An invariant: called at every step with the view of that moment; may remember earlier steps. */
export interface Checker {
  readonly name: string;
  check(view: WorldView): Violation[];
  /** A protocol node's event, as it happens (some checkers learn from `promoted`). */
  noteNodeEvent?(host: string, event: string, detail: Readonly<Record<string, string | number | boolean>> | undefined): void;
}
