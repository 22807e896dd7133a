/**
 * Every message of the protocol, described once as data (see `schema.ts` for field kinds).
 *
 * The type id is what travels on the wire; the name is what traces and traffic accounting
 * use. Ids are stable: append new messages, never renumber.
 *
 * Transport of each message (what the roles do; the table itself does not know):
 *   UDP   probe, probeReply, keepAlive*, keepAliveAck*, natProbe, natProbeReply
 *   TCP   everything else (* over TCP too when the host's UDP is blocked, BS-10)
 *
 * Ids 1..63 are the login and overlay core (this table). Ids 64 and up are kept for calls,
 * chat, user search and PSTN (a later issue).
 *
 * Small enumerations carried as `u8` fields (roles, refusal reasons, NAT classes) are listed
 * below the table. A peer may send any byte there: readers map an unknown code to a named
 * fallback, never throw.
 */

import type { MessageUnion } from './schema.js';

export const MESSAGES = {
  /** UDP, host -> SN: is this SN alive? (BS-9 step 1) */
  probe: { id: 1, fields: { nonce: 'u32' } },
  /** UDP, SN -> host: yes, and here are other SNs for the host cache (OT-2). */
  probeReply: { id: 2, fields: { nonce: 'u32', hostCache: 'endpoints' } },
  /**
   * TCP, accepting side -> connecting side, first message on every accepted connection: what
   * the acceptor is (`role`, see ROLE) and a fresh nonce the connecting side must use (echo it
   * to the LS, sign it for an SN), so a replayed message creates no session.
   */
  challenge: { id: 3, fields: { role: 'u8', nonce: 'bytes' } },
  /** TCP, host -> LS: log this user in; `nonce` echoes the LS's challenge on this connection (BS-8). */
  authRequest: { id: 4, fields: { name: 'str', password: 'str', nonce: 'bytes', publicKey: 'bytes' } },
  /** TCP, LS -> host: the user's public key signed by the LS (crypto/credentials.ts encoding). */
  authAccepted: { id: 5, fields: { credential: 'bytes' } },
  /** TCP, LS -> host: no session (`reason`, see AUTH_REFUSAL). */
  authRefused: { id: 6, fields: { reason: 'u8' } },
  /** TCP, LS -> host: the LS queue is full; try again after about `retryAfterMs`. */
  authBusy: { id: 7, fields: { retryAfterMs: 'u32' } },
  /** TCP, LS -> host on its session link: your session is over (`reason`, see SESSION_END). */
  sessionEnded: { id: 8, fields: { reason: 'u8' } },
  /** TCP, host -> SN: attach me as a client; `signature` signs the SN's challenge nonce with the credential's key. */
  attach: { id: 9, fields: { name: 'str', credential: 'bytes', signature: 'bytes' } },
  /** TCP, SN -> host: attached; `clientId` names the client in its keep-alives; other SNs for the HC and NAT tests. */
  attachAccepted: { id: 10, fields: { clientId: 'u32', hostCache: 'endpoints' } },
  /** TCP, SN -> host: not attached (`reason`, see ATTACH_REFUSAL); the host tries the next HC entry. */
  attachRefused: { id: 11, fields: { reason: 'u8' } },
  /** UDP (TCP if UDP is blocked), host -> SN, every 60 s (BS-15). */
  keepAlive: { id: 12, fields: { clientId: 'u32', seq: 'u32' } },
  /** UDP (TCP if UDP is blocked), SN -> host: the keep-alive `seq` arrived. */
  keepAliveAck: { id: 13, fields: { seq: 'u32' } },
  /** UDP, host -> SN: a STUN-like test (BS-11); `test` see NAT_TEST. */
  natProbe: { id: 14, fields: { nonce: 'u32', test: 'u8' } },
  /** UDP, SN (or the node it asked) -> host: the host's address as the replier saw it. */
  natProbeReply: { id: 15, fields: { nonce: 'u32', reflexive: 'endpoint' } },
  /**
   * TCP overlay, SN -> SN (or, with no overlay link up, SN -> one of its clients on its client
   * link): please send a natProbeReply with this nonce to `target` (NAT test "reply from another node").
   */
  natForward: { id: 16, fields: { nonce: 'u32', target: 'endpoint' } },
  /** TCP, host -> SN: presence announce/update (`status` see PRESENCE_STATUS, `natClass` see NAT_CLASS; `eligible` for SN promotion). */
  presence: { id: 17, fields: { status: 'u8', natClass: 'u8', eligible: 'bool' } },
  /** TCP, SN -> host: presence noted; a host-cache refresh (BS-9 step 6). */
  presenceAck: { id: 18, fields: { hostCache: 'endpoints' } },
  /** TCP, host -> SN: graceful logout; the host closes the connection after it. */
  detach: { id: 19, fields: {} },
  /** TCP, SN -> SN: link me into the overlay; I serve at (your view of my address):`port`. */
  overlayJoin: { id: 20, fields: { port: 'u16' } },
  /** TCP, SN -> SN: linked; the SNs I know. */
  overlayAccepted: { id: 21, fields: { superNodes: 'endpoints' } },
  /** TCP, SN -> SN: not linked (`reason`, see OVERLAY_REFUSAL). */
  overlayRefused: { id: 22, fields: { reason: 'u8' } },
  /** TCP overlay, SN -> SN, periodic: the SNs I know (the sender first). */
  superNodeList: { id: 23, fields: { superNodes: 'endpoints' } },
  /** TCP, overloaded SN -> eligible client: please become a super node (election policy promote-on-demand). */
  promoteRequest: { id: 24, fields: {} },
  /** TCP, SN -> its clients: I stop serving (demotion or logout); log in elsewhere. */
  superNodeLeaving: { id: 25, fields: {} },
  /**
   * TCP overlay, SN -> SN, when a link comes up and with every SN-list exchange: my client count
   * and capacity. Load spreading (super-node.ts) picks lighter SNs from these reports.
   */
  superNodeLoad: { id: 26, fields: { clients: 'u32', capacity: 'u32' } },
  /**
   * TCP, SN -> host, in place of attachAccepted: not attached, because these SNs carry less load
   * than I do (lightest first); try them next. The host closes the connection.
   */
  attachRedirect: { id: 27, fields: { superNodes: 'endpoints' } },
  /**
   * TCP, SN -> an online client: I carry more load than these SNs (lightest first); log in again,
   * trying them first. The SN closes the connection after it.
   */
  handOff: { id: 28, fields: { superNodes: 'endpoints' } },
  /**
   * TCP, SN -> its clients: I stop serving (demotion or logout); log in again, trying these SNs
   * (my up overlay neighbours, lightest first) first. Supersedes superNodeLeaving, which a
   * client still takes as the same with no SNs named.
   */
  superNodeLeavingTo: { id: 29, fields: { superNodes: 'endpoints' } },
  /**
   * TCP, host -> LS on its session link, every lsSessionKeepAliveMs: my session is alive. It
   * renews the session's lease at the LS, and a dead link shows up as a TCP give-up or a RST.
   */
  sessionKeepAlive: { id: 30, fields: {} },
  /** TCP, LS -> host on the session link: the keep-alive renewed the lease. */
  sessionKeepAliveAck: { id: 31, fields: {} },
  /**
   * TCP, host -> LS, on a new connection after the LS's challenge: re-validate the session of
   * `credential` (the one the LS signed at the login) after the session link was lost;
   * `signature` signs the challenge nonce with the credential's key. Not a new login: it can
   * keep the session, never take the name from a later login.
   */
  sessionResume: { id: 32, fields: { name: 'str', credential: 'bytes', signature: 'bytes' } },
  /** TCP, LS -> host: the session is still yours; this connection is now the session link. */
  sessionResumed: { id: 33, fields: {} },
} as const;

export type MessageTable = typeof MESSAGES;
export type MessageName = keyof MessageTable;
export type Message = MessageUnion<MessageTable>;
export type MessageOf<N extends MessageName> = Extract<Message, { type: N }>;

// ---------------------------------------------------------------------------------------------
// Codes carried in u8 fields. Each map is name -> code; `codeName` reads a peer's byte back.

/** `challenge.role`: what the accepting side of a connection is. */
export const ROLE = { loginServer: 1, superNode: 2, host: 3 } as const;

/** `authRefused.reason`. `badCredentials` covers an unknown name too (no name probing). */
export const AUTH_REFUSAL = { badCredentials: 1, rateLimited: 2, nameInUse: 3, badNonce: 4 } as const;

/** `attachRefused.reason`. */
export const ATTACH_REFUSAL = { full: 1, notSuperNode: 2, badCredential: 3, badSignature: 4 } as const;

/** `sessionEnded.reason`. */
export const SESSION_END = { replaced: 1 } as const;

/** `overlayRefused.reason`. */
export const OVERLAY_REFUSAL = { notSuperNode: 1, full: 2 } as const;

/** `natProbe.test`: the classic RFC 3489 tests, run against SNs instead of a STUN server (BS-11). */
export const NAT_TEST = {
  /** Reply from the address and port the probe went to: the reflexive address. */
  mapping: 1,
  /** Reply from another node (another SN, at another IP): is filtering endpoint-independent? */
  otherNode: 2,
  /** Reply from the same SN's other port: is filtering address-only? */
  otherPort: 3,
} as const;

/** `presence.natClass`: the host's NAT and firewall type as detected at login. */
export const NAT_CLASS = {
  unknown: 0,
  open: 1,
  'full-cone': 2,
  restricted: 3,
  'port-restricted': 4,
  symmetric: 5,
  'udp-blocked': 6,
} as const;

/** `presence.status`. More states (away, busy) come with chat and presence propagation. */
export const PRESENCE_STATUS = { online: 1 } as const;

/** The name of `code` in `codes`, or `fallback` for a byte the table does not know (peer input). */
export function codeName<T extends Readonly<Record<string, number>>, F extends string>(codes: T, code: number, fallback: F): (keyof T & string) | F {
  for (const name of Object.keys(codes)) if (codes[name] === code) return name as keyof T & string;
  return fallback;
}
