/**
 * Every message of the protocol, described once as data (see `schema.ts` for field kinds).
 *
 * The type id is what travels on the wire; the name is what traces and traffic accounting
 * use. Ids are stable: append new messages, never renumber.
 *
 * Transport of each message (what the roles do; the table itself does not know):
 *   UDP   probe, probeReply, keepAlive*, keepAliveAck*, natProbe, natProbeReply, overlayCheck,
 *         overlayCheckReply, indexStore, searchRequest / searchReply (also TCP on a host's SN link, see each entry)
 *   TCP   everything else (* over TCP too when the host's UDP is blocked, BS-10)
 *
 * Ids 1..63 are the login and overlay core; 64..79 user search; 80..111 calls, relays and media;
 * 112..127 signalling routed through SNs, chat and presence; 128..143 the PSTN gateway.
 *
 * Routed signalling (roles/routing.ts): a message for a user who is not directly reachable
 * travels inside `routed` - its `payload` is that message, encoded by this same codec - from
 * the sender to its SN, on to the SN the recipient is attached to, and down its client link
 * (the seed: "A's SN tells B's SN tells B"). Messages marked "routed" below travel that way
 * (or directly over TCP between two public peers, BS-22).
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
  probeReply: { id: 2, fields: { nonce: 'u32', hostCache: 'endpoints', full: 'bool' } },
  /**
   * TCP, accepting side -> connecting side, first message on every accepted connection: what
   * the acceptor is (`role`, see ROLE) and a fresh nonce the connecting side must use (echo it
   * to the LS, sign it for an SN), so a replayed message creates no session. `full` (ours,
   * SNs only): the SN is at capacity, and an attach would be redirected to `superNodes`, or
   * refused if that is empty - the host learns it here, before it signs the nonce.
   */
  challenge: { id: 3, fields: { role: 'u8', nonce: 'bytes', full: 'bool', superNodes: 'endpoints' } },
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
  /**
   * UDP, SN -> the endpoint an overlayJoin claimed (ours): does an SN serve here? The link is
   * accepted only once the answer comes from there, so a join cannot name an endpoint where no
   * SN serves (it would spread from host cache to host cache).
   */
  overlayCheck: { id: 34, fields: { nonce: 'u32' } },
  /** UDP, SN -> SN: I serve here. */
  overlayCheckReply: { id: 35, fields: { nonce: 'u32' } },

  // --- user search (64..79; roles/user-index.ts, roles/user-search.ts) ----------------------
  /**
   * TCP, host -> its SN, with every presence: index me under my name, reachable at (your view
   * of my address):`port` (my own port), NAT class `natClass` (see NAT_CLASS).
   */
  indexAnnounce: { id: 64, fields: { port: 'u16', natClass: 'u8' } },
  /**
   * UDP, SN -> SN: keep this index record (publication to a home SN of the name, or a hand-over
   * by a stopping SN). `ageMs`: how long ago the user was last seen online by its SN.
   */
  indexStore: { id: 65, fields: { name: 'str', superNode: 'endpoint', address: 'endpoint', natClass: 'u8', ageMs: 'u32' } },
  /**
   * UDP, searcher -> an SN; or TCP, host -> its SN on its SN link: where is `name`? `onBehalf`
   * (TCP only, a UDP-blocked host, BS-19): search the overlay for me and answer when done.
   */
  searchRequest: { id: 66, fields: { queryId: 'u32', name: 'str', onBehalf: 'bool' } },
  /**
   * The answer, the way the request came: the record if `found` (else zero fields), and the SNs
   * of highest weight for the name the replier knows (`nodes`, Kademlia-like: ask those next).
   */
  searchReply: { id: 67, fields: { queryId: 'u32', found: 'bool', superNode: 'endpoint', address: 'endpoint', natClass: 'u8', ageMs: 'u32', nodes: 'endpoints' } },
  /** TCP, host -> LS on its session link: does the account `name` exist? (BS-20: the peers did not find it.) */
  accountQuery: { id: 68, fields: { queryId: 'u32', name: 'str' } },
  /** TCP, LS -> host on the session link: the answer (the LS knows accounts, not locations). */
  accountReply: { id: 69, fields: { queryId: 'u32', exists: 'bool' } },

  // --- calls, relays and media (80..111) ---------------------------------------------------
  /**
   * Routed or direct TCP, caller -> callee: a call. `credential` is the caller's LS-signed key,
   * `signature` signs (callId, callee, keyShare) with it, so a forged or foreign credential is
   * refused. `keyShare` is the caller's X25519 public key (crypto/media.ts). `path` see
   * CALL_PATH; `media` is where the caller receives media (its public media endpoint on a
   * direct path, the relay on a relayed one; 0.0.0.0:0 while a hole-punched path is tried).
   */
  callInvite: { id: 80, fields: { callId: 'u32', caller: 'str', callee: 'str', credential: 'bytes', signature: 'bytes', keyShare: 'bytes', path: 'u8', media: 'endpoint', natClass: 'u8' } },
  /** Routed or direct, callee -> caller: answered; the same proofs the other way, and where the callee receives media. */
  callAccept: { id: 81, fields: { callId: 'u32', credential: 'bytes', signature: 'bytes', keyShare: 'bytes', media: 'endpoint' } },
  /** Routed or direct, either side: no call (`reason`, see CALL_REFUSAL). */
  callRefused: { id: 82, fields: { callId: 'u32', reason: 'u8' } },
  /** Routed or direct, either side: the call is over (`reason`, see CALL_END). */
  callEnd: { id: 83, fields: { callId: 'u32', reason: 'u8' } },
  /** Routed or direct, either side: put on hold or taken off it (BS-27). */
  callHold: { id: 84, fields: { callId: 'u32', held: 'bool' } },
  /** Routed or direct, caller -> callee: the media now goes through `relay` (re-selection after a relay failed). */
  callRelayChanged: { id: 85, fields: { callId: 'u32', relay: 'endpoint' } },
  /** UDP (TCP when UDP is blocked), caller -> relay candidate: are you there, how loaded? */
  relayProbe: { id: 86, fields: { nonce: 'u32' } },
  /** UDP (TCP), candidate -> caller: calls it forwards now and its capacity. */
  relayProbeReply: { id: 87, fields: { nonce: 'u32', calls: 'u32', capacity: 'u32' } },
  /** UDP from the media port (TCP when UDP is blocked), party -> relay: forward media of `callId`; `party` 0 caller, 1 callee. */
  relayJoin: { id: 88, fields: { callId: 'u32', party: 'u8' } },
  /** Relay -> party, the same way: joined; media of the call is forwarded. Also the relay's answer to a keep-alive join. */
  relayJoined: { id: 89, fields: { callId: 'u32' } },
  /** Relay -> party: not joined (`reason`, see RELAY_REFUSAL). */
  relayRefused: { id: 90, fields: { callId: 'u32', reason: 'u8' } },
  /** Party -> relay: the call is over; forget it. */
  relayLeave: { id: 91, fields: { callId: 'u32' } },
  /** UDP, peer -> peer media endpoint, hole punching: open my NAT towards you (sent by both sides at once). */
  punch: { id: 92, fields: { callId: 'u32' } },
  /**
   * Media, party -> party or relay (UDP from the media port; TCP when UDP is blocked), payload
   * type media. `voice` is AES-256 encrypted end to end (crypto/media.ts) with the call's key,
   * so a relay forwards it unread. `frames` is 1 in `packets` mode; in `flow` mode one datagram
   * stands for that many frames (the network counts and loses them one by one). `sentAtMs` is
   * the send time of the first frame; `hold` marks the one-every-3-s packets on hold (BS-27).
   */
  mediaFrame: { id: 93, fields: { callId: 'u32', seq: 'u32', sentAtMs: 'f64', frames: 'u16', hold: 'bool', voice: 'bytes' } },

  // --- signalling routed through SNs, chat, presence (112..127) -----------------------------
  /**
   * TCP: host -> its SN -> the recipient's SN -> recipient. `payload` is one encoded message of
   * this table. `toSuperNode` is the recipient's SN when the sender knows it (0.0.0.0:0: the SN
   * looks the name up); `fromSuperNode` is filled in by the sender's SN, so an answer or a
   * `routeFailed` can go back without a search. `hops` counts SN-to-SN forwards (a loop guard).
   */
  routed: { id: 112, fields: { from: 'str', fromSuperNode: 'endpoint', to: 'str', toSuperNode: 'endpoint', hops: 'u8', payload: 'bytes' } },
  /** Routed back to the sender: `to` could not be reached (`reason`, see ROUTE_FAILURE); `payloadType` names the message that was dropped. */
  routeFailed: { id: 113, fields: { to: 'str', reason: 'u8', payloadType: 'u8' } },
  /** Routed, sender -> buddy: a chat message; `seq` numbers the messages of this sender to this buddy from 1. */
  chatMessage: { id: 114, fields: { seq: 'u32', text: 'str' } },
  /** Routed, buddy -> sender: `seq` arrived (a repeat is acknowledged again and not delivered again). */
  chatAck: { id: 115, fields: { seq: 'u32' } },
  /** Routed, user -> each online buddy: my status (PRESENCE_STATUS) and where I am now (my SN, my address, my NAT class). */
  presenceNotify: { id: 116, fields: { status: 'u8', superNode: 'endpoint', address: 'endpoint', natClass: 'u8' } },

  // --- PSTN gateway (128..143) ----------------------------------------------------------------
  /** TCP, host -> its SN -> gateway (port 12340): SkypeOut to `number`; `media` where the host receives media. */
  pstnDial: { id: 128, fields: { callId: 'u32', caller: 'str', number: 'str', credential: 'bytes', keyShare: 'bytes', media: 'endpoint' } },
  /**
   * TCP, gateway -> SN -> host (SkypeOut answered), or host -> SN -> gateway (SkypeIn answered):
   * media goes to `media`; `keyShare` completes the X25519 agreement of the call's media key.
   */
  pstnAnswer: { id: 129, fields: { callId: 'u32', keyShare: 'bytes', media: 'endpoint' } },
  /** TCP, gateway -> an SN -> the callee (routed): SkypeIn from `number`; `media` is the gateway's media endpoint. */
  pstnIncoming: { id: 130, fields: { callId: 'u32', number: 'str', callee: 'str', keyShare: 'bytes', media: 'endpoint' } },
  /** TCP, either side of a PSTN call, through the same path as its set-up: the call is over (`reason`, see CALL_END). */
  pstnHangUp: { id: 131, fields: { callId: 'u32', reason: 'u8' } },
} as const;

export type MessageTable = typeof MESSAGES;
export type MessageName = keyof MessageTable;
export type Message = MessageUnion<MessageTable>;
export type MessageOf<N extends MessageName> = Extract<Message, { type: N }>;

// ---------------------------------------------------------------------------------------------
// Codes carried in u8 fields. Each map is name -> code; `codeName` reads a peer's byte back.

/** `challenge.role`: what the accepting side of a connection is. */
export const ROLE = { loginServer: 1, superNode: 2, host: 3, pstnGateway: 4 } as const;

/** `authRefused.reason`. `badCredentials` covers an unknown name too (no name probing). */
export const AUTH_REFUSAL = { badCredentials: 1, rateLimited: 2, nameInUse: 3, badNonce: 4 } as const;

/** `attachRefused.reason`. */
export const ATTACH_REFUSAL = { full: 1, notSuperNode: 2, badCredential: 3, badSignature: 4 } as const;

/** `sessionEnded.reason`. */
export const SESSION_END = { replaced: 1 } as const;

/** `overlayRefused.reason`. */
export const OVERLAY_REFUSAL = { notSuperNode: 1, full: 2, unverified: 3 } as const;

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

/** `presence.status`, `presenceNotify.status`. */
export const PRESENCE_STATUS = { online: 1, offline: 2, alsoOnline: 3 } as const;

/** `callInvite.path`: how the call's media travels (BS-22 - BS-24). */
export const CALL_PATH = { direct: 1, relayedUdp: 2, relayedTcp: 3, holePunched: 4 } as const;

/** `callRefused.reason`. */
export const CALL_REFUSAL = { busy: 1, badCredential: 2, badSignature: 3, noRelay: 4, unreachable: 5 } as const;

/** `callEnd.reason`. */
export const CALL_END = { hangUp: 1, relayFailed: 2, peerLost: 3, loggedOut: 4 } as const;

/** `relayRefused.reason`. */
export const RELAY_REFUSAL = { full: 1, notPublic: 2, unknownCall: 3, notServing: 4 } as const;

/** `routeFailed.reason`. */
export const ROUTE_FAILURE = { notFound: 1, offline: 2, unreachable: 3, loop: 4, malformed: 5, overBudget: 6 } as const;

/** The name of `code` in `codes`, or `fallback` for a byte the table does not know (peer input). */
export function codeName<T extends Readonly<Record<string, number>>, F extends string>(codes: T, code: number, fallback: F): (keyof T & string) | F {
  let names = CODE_NAMES.get(codes);
  if (!names) {
    names = new Map();
    for (const [name, c] of Object.entries(codes)) if (!names.has(c)) names.set(c, name);
    CODE_NAMES.set(codes, names);
  }
  return (names.get(code) as (keyof T & string) | undefined) ?? fallback;
}

/** Each code table read back, code -> name (built at its first use: codeName runs per message). */
const CODE_NAMES = new WeakMap<object, Map<number, string>>();
