/**
 * The protocol's public surface: pure state machines (sans-I/O, node.ts) for the roles of a
 * Skype-like overlay, their parameters, and the wire format they speak.
 *
 * Roles (protocol/roles/):
 *   HostNode          the ordinary host (SC): login (BS-9, BS-10, BS-11), keep-alive (BS-15),
 *                     re-login; and, when elected or configured as a bootstrap SN, the super
 *                     node service in the same node (super-node.ts, election.ts).
 *   LoginServerNode   the login server (BS-2, BS-8): accounts, credentials, unique names.
 *
 * How a runtime (sim/ or a live one) wires them:
 *   - Create one LS: `new LoginServerNode({ params, privateKey, accounts })`, the key from
 *     `deriveSigningKeyPair(rngFor('ls'))` (crypto/keys.ts); hosts get its `publicKey`. The LS
 *     listens on TCP `params.loginServerPort` and 80 / 443; register users with the `accounts`
 *     option or a `{ type: 'register', name, password }` user action. Pass `disk` to keep the
 *     accounts across LS restarts.
 *   - Create `params.bootstrapSuperNodeCount` (7) bootstrap SNs: `HostNode` with
 *     `bootstrapSuperNode: true`, `port: params.bootstrapPort` (33033), a public `localIp`.
 *     Every host gets their endpoints as `bootstrap`, and the LS endpoint as `loginServer`.
 *   - Each host: `new HostNode({ params, disk, localIp, bootstrap, loginServer, lsPublicKey,
 *     config })`. `localIp` is its interface address (private behind a NAT); `config` its
 *     machine (uplink/downlink bits per second from its access link, CPU MHz and memory MB from
 *     its host class, opt-out flag). `disk` is a plain object the runtime creates once per host
 *     and hands to every incarnation of that host (crashes and restarts): the node keeps its
 *     port, host cache, identity-key seed and "was an SN" flag there. Leave `port` unset to let
 *     the host draw one at its first start (BS-3).
 *   - Deliver `start` when a host boots (first time or after a crash: a fresh node object with
 *     the same disk), then user actions `{ type: 'login', name, password }` / `{ type: 'logout' }`.
 *     A crash is the runtime dropping the node object; peers learn of it from the network.
 *   - Apply outputs in order before the next input (node.ts). Connections: the node picks
 *     positive ids for its `connect`s; the runtime picks negative ids for `accepted` ones.
 *     Report `connected` before any data of the acceptor arrives. A node may `close` a
 *     connection that is still connecting (cancel it). Do not report `closed` back to the node
 *     that closed a connection itself (if it happens anyway it is counted as `late`). A
 *     connection attempt's failure time (refusal, SYN timeout) is the runtime's: the nodes set
 *     no connect timers.
 *   - Timers: `setTimer` replaces an armed timer of the same name; deliver `timer` inputs with
 *     the name and tag given. Late or cancelled ones are ignored by the node.
 *   - Outputs `trace` and `metric` are the nodes' events and samples (names and labels listed in
 *     each role's header); `msgType` on packets names the message for traffic accounting.
 *
 * User search: the `{ type: 'search', name }` user action or `HostNode.searchUser`; an SN's
 * `locate` / `lookupLocal` (roles/user-index.ts has the index's design).
 *
 * The calls, chat and PSTN features come later: message ids 80+ and the HostAction union are
 * where they go.
 */

export type { ConnId, CloseReason, ConnectFailure, Ctx, Endpoint, Input, Output, ProtocolNode, Random } from './node.js';

export { makeParams, ParamError, PROFILES, SKYPE_2004 } from './params.js';
export type { DuplicateLoginRule, ElectionPolicy, ProtocolParams } from './params.js';

export { HostNode } from './roles/ordinary-host.js';
export type { HostAction, HostDisk, HostOptions, HostTimer, NodeTimer } from './roles/ordinary-host.js';
export { LoginServerNode } from './roles/login-server.js';
export type { Account, LoginServerAction, LoginServerDisk, LoginServerOptions, LoginServerTimer } from './roles/login-server.js';
export { PstnGatewayNode, type PstnGatewayAction, type PstnGatewayOptions, type PstnGatewayTimer } from './roles/pstn-gateway.js';
export type { SuperNodeService, SuperNodeTimer } from './roles/super-node.js';
export { checkEligibility, decideLoad, eligibleFromMs } from './roles/election.js';
export type { Eligibility, HostConfig, Ineligibility } from './roles/election.js';
export { HostCache } from './roles/host-cache.js';
export type { HostCacheDisk } from './roles/host-cache.js';
export { LOGIN_TRANSITIONS, LoginLadder, LoginMachine } from './roles/login.js';
export type { LadderStep, LoginEvent, LoginState } from './roles/login.js';
export { NatDetector } from './roles/nat-detection.js';
export type { NatClass, NatStep, NatTestName } from './roles/nat-detection.js';
export { sharedObfuscator, Transport } from './roles/transport.js';
export { rankByWeight, UserIndex, weightOf } from './roles/user-index.js';
export type { UserRecord } from './roles/user-index.js';
export { UserSearch } from './roles/user-search.js';
export type { SearchStep, SearchTarget, SearchVia, UserSearchOptions } from './roles/user-search.js';
export type { SearcherClass, SearchOutcome, SearchResult } from './roles/host-search.js';

export { ATTACH_REFUSAL, AUTH_REFUSAL, codeName, MESSAGES, NAT_CLASS, NAT_TEST, OVERLAY_REFUSAL, PRESENCE_STATUS, ROLE, SESSION_END } from './wire/messages.js';
export type { Message, MessageName, MessageOf, MessageTable } from './wire/messages.js';
export { decodeMessage, encodeMessage, isDecodeError } from './wire/codec.js';
export type { DecodeError } from './wire/codec.js';
export { Obfuscator } from './wire/obfuscation.js';
export { deriveSigningKeyPair } from './crypto/keys.js';
export type { KeyPair } from './crypto/keys.js';
export type { CryptoMode } from './crypto/keystream.js';
