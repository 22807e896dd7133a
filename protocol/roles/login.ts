/**
 * The login state machine of an ordinary host (BS-9, BS-10), as data.
 *
 * `LOGIN_TRANSITIONS` lists, per state, the events it accepts and the states each may lead to.
 * The host (ordinary-host.ts) performs the effects and picks the successor; `LoginMachine`
 * checks the pair against the table: an event with no entry is a counted protocol error
 * (`trace unexpected`, state unchanged), a successor not in the entry is our own bug (throws).
 * The table knows nothing of roles or messages; the visualizer can draw it as it is.
 *
 *   offline --login--> probing | connecting (UDP known blocked) | roundWait | offline (failed)
 *   probing --probeReply | probeTimeout--> connecting;  --probeTimeout--> ladder (a silent hint)
 *           --probeReply--> ladder (the SN says it is full)
 *   connecting --snConnected--> greeting;  --snConnectFailed--> next step of the ladder
 *   greeting --snChallenge--> authenticating (no valid credential) | attaching | ladder (not an SN)
 *   authenticating --lsChallenge | lsConnected--> authenticating
 *                  --lsConnectFailed--> authenticating (the LS's next port: its own, 80, 443)
 *                  --authAccepted--> attaching | ladder (SN lost meanwhile)
 *                  --authBusy | lsConnectFailed | lsClosed | replyTimeout--> lsBackoff | offline
 *                  --authRefused--> offline (failed)
 *   lsBackoff --lsRetryOver--> authenticating
 *   attaching --attachAccepted--> detectingNat;  --attachRefused--> ladder
 *             --attachRedirected--> ladder (the SNs it names next in this round)
 *   detectingNat --natDone--> announcing
 *   announcing --presenceAck--> online;  online --presenceAck--> online (a presence update's ack)
 *   any login step after connecting --snLost | replyTimeout--> ladder (next HC entry)
 *   online --snLost | handOff--> probing | connecting | roundWait | offline   (re-login from the HC)
 *   any but offline --logout | sessionEnded--> offline
 *
 * "ladder" is the BS-9 order (`LoginLadder`): for each HC entry, a UDP probe, then TCP to the
 * SN's port, then 80, then 443; then the next entry; after the round's last entry a 6 s wait
 * (roundWait) and the next round; after 5 rounds: failed (offline).
 *
 * Design choices, exact so tests can check times (the studies are silent on them):
 *   - One HC entry at a time, no overlap: a probe goes to one SN, and the host waits the full
 *     probe timeout or the reply before touching the next step. (The seed: "reads next entry
 *     and tries to connect to it".)
 *   - One round tries the first `loginEntriesPerRound` HC entries (default: all) in HC order,
 *     then the bootstrap SNs not among them (BS-6); each round starts again from the top of
 *     the HC as it is then (a failed entry has moved to the end).
 *   - A UDP probe reply only says the SN is alive: the host still opens its TCP connection to
 *     the SN's port (the long-lived link, BS-15), with the same 80 / 443 fall-backs.
 *   - No wait after the last round: failure is reported when round 5's last step fails.
 *   - If an entry's UDP probe timed out but a TCP connection to that same SN then succeeded and
 *     the SN's challenge says it serves, the SN is alive and UDP is what failed: the host marks
 *     UDP blocked (BS-10) and from then on, for the life of the process, sends no UDP - no
 *     probes, keep-alives over TCP, no NAT tests. (A lost probe on a lossy path can mislabel a
 *     host; the rule is what BS-10 observed.) A timed-out probe to a dead entry teaches nothing.
 *   - A credential still valid from earlier in this process skips the LS: a re-login after
 *     losing the SN costs the LS nothing (greeting --snChallenge--> attaching).
 *   - The TCP connection's own failure time (refused at once, or a SYN timeout) comes from the
 *     runtime's `connectFailed`; the host adds no timer of its own to a connect.
 *   - A redirect (`attachRedirect`, load spreading, super-node.ts) puts the SNs it names right
 *     after the current entry, in its order, leaving out entries this round already tried; an
 *     entry is tried at most once per round, so redirects cannot loop within a round (and an SN
 *     takes a host it redirected lately, so they cannot loop across rounds either).
 *   - SNs named by a redirect or a hand-off are hints, tried the cheap way for the rest of the
 *     login: a UDP probe, and TCP only if it was answered (then with the usual fall-backs); a
 *     host that knows its UDP is blocked tries the first TCP port only. A hint that does not
 *     answer is skipped. (Without this a hint naming an SN that crashed moments ago - its
 *     neighbours notice within an overlay period - cost the full ladder: 5 s plus three SYN
 *     timeouts, about 68 s.) HC entries proper always get the full BS-9 ladder.
 *   - Remembered fall-back port (`rememberFallbackPort`, on by default): once a TCP connection
 *     to an SN got through only on a fall-back port (80 / 443), every later entry starts at that
 *     port, then its own port and the rest in BS-9 order. A host whose firewall lets out only 80
 *     and 443 then pays one SYN timeout per process instead of one per entry. When nothing ever
 *     connects (every entry unreachable) nothing is remembered and the ladder is BS-9 exactly.
 */

import type { Endpoint } from '../node.js';
import type { ProtocolParams } from '../params.js';
import { endpointKey } from './support.js';

export type LoginState =
  | 'offline'
  | 'probing'
  | 'connecting'
  | 'greeting'
  | 'roundWait'
  | 'authenticating'
  | 'lsBackoff'
  | 'attaching'
  | 'detectingNat'
  | 'announcing'
  | 'online';

export type LoginEvent =
  | 'login'
  | 'logout'
  | 'sessionEnded'
  | 'probeReply'
  | 'probeTimeout'
  | 'snConnected'
  | 'snConnectFailed'
  | 'snChallenge'
  | 'roundDelayOver'
  | 'lsConnected'
  | 'lsConnectFailed'
  | 'lsChallenge'
  | 'authAccepted'
  | 'authRefused'
  | 'authBusy'
  | 'lsClosed'
  | 'lsRetryOver'
  | 'attachAccepted'
  | 'attachRefused'
  | 'attachRedirected'
  | 'handOff'
  | 'natDone'
  | 'presenceAck'
  | 'replyTimeout'
  | 'snLost';

/** The states the BS-9 ladder can lead to from a failed step. */
const LADDER: readonly LoginState[] = ['probing', 'connecting', 'roundWait', 'offline'];
const LEAVE: readonly LoginState[] = ['offline'];

type Table = Readonly<Record<LoginState, Readonly<Partial<Record<LoginEvent, readonly LoginState[]>>>>>;

/** Every active state accepts logout and the LS ending the session. */
const ANY_ACTIVE = { logout: LEAVE, sessionEnded: LEAVE } as const;

export const LOGIN_TRANSITIONS: Table = {
  offline: { login: LADDER },
  probing: { ...ANY_ACTIVE, probeReply: LADDER, probeTimeout: LADDER },
  connecting: { ...ANY_ACTIVE, snConnected: ['greeting'], snConnectFailed: LADDER },
  roundWait: { ...ANY_ACTIVE, roundDelayOver: LADDER },
  greeting: { ...ANY_ACTIVE, snChallenge: ['authenticating', 'attaching', ...LADDER], snLost: LADDER, replyTimeout: LADDER },
  authenticating: {
    ...ANY_ACTIVE,
    lsConnected: ['authenticating'],
    lsChallenge: ['authenticating'],
    authAccepted: ['attaching', ...LADDER],
    authRefused: LEAVE,
    authBusy: ['lsBackoff', 'offline'],
    lsConnectFailed: ['authenticating', 'lsBackoff', 'offline'],
    lsClosed: ['lsBackoff', 'offline'],
    replyTimeout: ['lsBackoff', 'offline'],
    snLost: ['authenticating'],
  },
  lsBackoff: { ...ANY_ACTIVE, lsRetryOver: ['authenticating'], snLost: ['lsBackoff'] },
  attaching: { ...ANY_ACTIVE, attachAccepted: ['detectingNat'], attachRefused: LADDER, attachRedirected: LADDER, snLost: LADDER, replyTimeout: LADDER },
  detectingNat: { ...ANY_ACTIVE, natDone: ['announcing'], snLost: LADDER },
  announcing: { ...ANY_ACTIVE, presenceAck: ['online'], snLost: LADDER, replyTimeout: LADDER },
  online: { ...ANY_ACTIVE, snLost: LADDER, handOff: LADDER, presenceAck: ['online'] },
};

export class LoginMachine {
  private current: LoginState = 'offline';

  get state(): LoginState {
    return this.current;
  }

  /** True if the table has an entry for `event` in the current state. */
  accepts(event: LoginEvent): boolean {
    return LOGIN_TRANSITIONS[this.current][event] !== undefined;
  }

  /** Moves to `to` on `event`; throws if the table does not allow it (our bug, not the peer's). */
  move(event: LoginEvent, to: LoginState): void {
    const allowed = LOGIN_TRANSITIONS[this.current][event];
    if (!allowed || !allowed.includes(to)) throw new Error(`login machine: ${this.current} --${event}--> ${to} is not in the table`);
    this.current = to;
  }
}

/** One step of the BS-9 ladder. */
export type LadderStep =
  | { readonly kind: 'probe'; readonly entry: Endpoint }
  | { readonly kind: 'connect'; readonly entry: Endpoint; readonly port: number }
  /** The round's entries all failed and another round is left: wait `loginRoundDelayMs`. */
  | { readonly kind: 'wait' }
  /** The last round failed: login failed (BS-6). */
  | { readonly kind: 'fail' };

/**
 * The BS-9 order of steps. `candidates()` gives the entries of a round when it starts (the HC
 * as it is then). The ladder only counts; the host performs the steps.
 */
export class LoginLadder {
  private roundNumber = 0;
  private entries: readonly Endpoint[] = [];
  private entryIndex = 0;
  /** -1 while probing; else an index into the entry's TCP port list. */
  private portIndex = -1;
  private ports: readonly number[] = [];
  private tried = 0;

  /**
   * `candidates()` gives a round's entries; `preferredPort()` a port every entry's TCP steps
   * start at (the remembered fall-back port), if any.
   */
  constructor(
    private readonly params: ProtocolParams,
    private readonly candidates: () => readonly Endpoint[],
    private readonly preferredPort: () => number | undefined = () => undefined,
  ) {}

  /** Rounds started so far (1 during the first). */
  get round(): number {
    return this.roundNumber;
  }

  /** HC entries tried so far (each counts once, whatever the steps it took). */
  get entriesTried(): number {
    return this.tried;
  }

  /** The entry the current step is about. */
  get entry(): Endpoint | undefined {
    return this.entries[this.entryIndex];
  }

  /** Whether the current entry's UDP probe got no reply (it timed out). */
  probeTimedOut = false;

  /** Endpoint keys of the hints of this login (SNs named by a redirect or hand-off). */
  private readonly hints = new Set<number>();

  /** Marks `superNodes` as hints (see the header). */
  addHints(superNodes: readonly Endpoint[]): void {
    for (const e of superNodes) this.hints.add(endpointKey(e));
  }

  private isHint(e: Endpoint | undefined): boolean {
    return e !== undefined && this.hints.has(endpointKey(e));
  }

  /** The first step of a fresh login. */
  begin(udpBlocked: boolean): LadderStep {
    this.roundNumber = 0;
    this.tried = 0;
    return this.nextRound(udpBlocked);
  }

  /** After the round wait. */
  nextRound(udpBlocked: boolean): LadderStep {
    this.roundNumber++;
    this.entries = this.candidates();
    this.entryIndex = 0;
    return this.startEntry(udpBlocked);
  }

  /** The probe was answered or timed out: TCP to the SN's own port. */
  afterProbe(timedOut: boolean, udpBlocked = false): LadderStep {
    this.probeTimedOut = timedOut;
    if (timedOut && this.isHint(this.entry)) return this.nextEntry(udpBlocked);
    this.portIndex = 0;
    return this.connectStep();
  }

  /** The TCP connection failed: the next port, or the next entry. */
  afterConnectFailed(udpBlocked: boolean): LadderStep {
    this.portIndex++;
    if (this.portIndex < this.ports.length) return this.connectStep();
    return this.nextEntry(udpBlocked);
  }

  /** The entry failed after its TCP connection (not an SN, full, lost, silent): the next entry. */
  nextEntry(udpBlocked: boolean): LadderStep {
    this.entryIndex++;
    return this.startEntry(udpBlocked);
  }

  /**
   * The current entry redirected us to `superNodes`: they come next, in their order, without
   * the entries this round already tried (and without moving an entry the round would try
   * later twice); then the rest of the round.
   */
  redirect(superNodes: readonly Endpoint[], udpBlocked: boolean): LadderStep {
    const done = this.entries.slice(0, this.entryIndex + 1);
    const seen = new Set(done.map(endpointKey));
    const inserted: Endpoint[] = [];
    for (const e of superNodes) {
      if (seen.has(endpointKey(e))) continue;
      seen.add(endpointKey(e));
      inserted.push(e);
    }
    const rest = this.entries.slice(this.entryIndex + 1).filter((e) => !seen.has(endpointKey(e)));
    this.entries = [...done, ...inserted, ...rest];
    this.addHints(superNodes);
    return this.nextEntry(udpBlocked);
  }

  private startEntry(udpBlocked: boolean): LadderStep {
    const entry = this.entries[this.entryIndex];
    if (!entry) return this.roundNumber >= this.params.loginRounds ? { kind: 'fail' } : { kind: 'wait' };
    this.tried++;
    this.probeTimedOut = false;
    const preferred = this.preferredPort();
    this.ports = uniquePorts(preferred === undefined ? [entry.port, ...this.params.fallbackTcpPorts] : [preferred, entry.port, ...this.params.fallbackTcpPorts]);
    if (udpBlocked) {
      if (this.isHint(entry)) this.ports = this.ports.slice(0, 1);
      this.portIndex = 0;
      return this.connectStep();
    }
    this.portIndex = -1;
    return { kind: 'probe', entry };
  }

  private connectStep(): LadderStep {
    const entry = this.entries[this.entryIndex];
    return { kind: 'connect', entry, port: this.ports[this.portIndex] };
  }
}

function uniquePorts(ports: readonly number[]): number[] {
  return ports.filter((p, i) => ports.indexOf(p) === i);
}
