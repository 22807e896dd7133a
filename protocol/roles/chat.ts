/**
 * Chat and presence: text messages to buddies over the signalling path, and presence notices
 * that tell buddies when a user comes and goes, and where it is.
 *
 * Chat (ours; PROTOCOL.md: "text messages to a buddy over the signalling path"): a message is
 * routed through the SNs (routing.ts) as `chatMessage{seq, text}`, `seq` counting this
 * sender's messages to this buddy up from `firstSeq`, which grows with every start of the
 * sender's process (so numbers never repeat across restarts). The buddy delivers a message only if
 * its `seq` is above the last one it delivered from that sender, and acknowledges every copy
 * (`chatAck`). So a message is delivered at most once and never after a later one (in order per
 * pair); one whose copies all got lost, or that arrives after a later one, is not delivered. The
 * sender sends a message again, same `seq`, every `chatRetryMs` until acknowledged, at most
 * `chatSendsMax` sends; then it counts as undelivered. The receiver keeps the last `seq` per
 * sender on its disk (across restarts: a message whose ack died with the receiver's process is
 * not delivered again by the next one).
 *
 * Presence: when the host is online (login done) it sends `presenceNotify{online, its SN, its
 * address, its NAT class}` to each buddy; a buddy that is online answers with its own notice
 * (status `alsoOnline`, which is not answered). Logging out it sends `offline` to the buddies
 * it knows to be online (a contact from their notices or a search). A notice is
 * where calls learn a buddy's location without a search (calls.ts `Contact`). A notice to an offline buddy
 * ends in the SNs (a `routeFailed` trace there; the sender is not told).
 *
 * Metrics: chatOutcome (value 1; label outcome delivered|undelivered), chatAckMs (send to
 * acknowledgement), presenceSent (value: buddies told; label status). Traces: chatSent,
 * chatDelivered (the receiver: from, seq), chatDuplicate, chatUndelivered, presenceReceived.
 */

import type { Ctx, Endpoint } from '../node.js';
import { utf8Length } from '../wire/codec.js';
import { NAT_CLASS, PRESENCE_STATUS, codeName, type Message, type MessageOf } from '../wire/messages.js';
import type { Contact } from './calls.js';
import type { NatClass } from './nat-detection.js';
import { NOWHERE } from './routing.js';
import type { TimerSet } from './super-node.js';

export type ChatTimer =
  /** fires when: the earliest unacknowledged chat message is due to be sent again. */
  'chatRetry';

export const CHAT_TIMERS: readonly ChatTimer[] = ['chatRetry'];

/**
 * The longest chat text, in UTF-8 bytes (ours): a `chatMessage` routed between users whose names
 * are as long as names go (NAME_BYTES_MAX) still fits in one message (MESSAGE_BYTES_MAX, 65,504
 * bytes; the routing header takes at most 530 of them).
 */
export const CHAT_TEXT_BYTES_MAX = 64_000;

/** Throws RangeError unless `text` can be sent as a chat message: well-formed, at most CHAT_TEXT_BYTES_MAX bytes. */
export function checkChatText(text: string): void {
  const bytes = utf8Length(text);
  if (bytes < 0 || bytes > CHAT_TEXT_BYTES_MAX) {
    throw new RangeError(`chat: a text is well-formed UTF-16 of at most ${CHAT_TEXT_BYTES_MAX} UTF-8 bytes, got ${bytes < 0 ? 'a lone surrogate' : `${bytes} bytes`}`);
  }
}

export interface ChatDeps {
  readonly chatRetryMs: number;
  readonly chatSendsMax: number;
  readonly timers: TimerSet<ChatTimer>;
  readonly buddies: readonly string[];
  /** The first sequence number of this process's messages (above every earlier process's). */
  readonly firstSeq: number;
  /** The last `seq` delivered per sender; kept on the host's disk, so a restart delivers nothing twice. */
  readonly lastDelivered: Map<string, number>;
  /** Where the host knows `name` to be (presence, searches). */
  contact(name: string): Contact | undefined;
  learn(name: string, contact: Contact | undefined): void;
  sendRouted(ctx: Ctx, to: string, toSuperNode: Endpoint, msg: Message): boolean;
}

/** What the host tells its buddies about itself. */
export interface OwnPresence {
  readonly superNode: Endpoint;
  readonly address: Endpoint;
  readonly natClass: NatClass;
}

interface Pending {
  readonly to: string;
  readonly seq: number;
  readonly text: string;
  readonly firstSentMs: number;
  sends: number;
  dueMs: number;
}

export class ChatService {
  private readonly nextSeq = new Map<string, number>();

  /** Unacknowledged messages, oldest first. */
  private readonly pending: Pending[] = [];

  constructor(private readonly d: ChatDeps) {}

  get unacknowledged(): number {
    return this.pending.length;
  }

  send(ctx: Ctx, to: string, text: string): void {
    const seq = (this.nextSeq.get(to) ?? this.d.firstSeq - 1) + 1;
    this.nextSeq.set(to, seq);
    const p: Pending = { to, seq, text, firstSentMs: ctx.now, sends: 0, dueMs: 0 };
    this.pending.push(p);
    ctx.out.push({ kind: 'trace', event: 'chatSent', detail: { to, seq } });
    this.transmit(ctx, p);
    this.arm(ctx);
  }

  /** A routed chat or presence message from `from` (its SN `fromSuperNode`). False if it has no entry. */
  onMessage(ctx: Ctx, from: string, fromSuperNode: Endpoint, msg: Message, me: OwnPresence | undefined): boolean {
    switch (msg.type) {
      case 'chatMessage':
        this.onChat(ctx, from, fromSuperNode, msg);
        return true;
      case 'chatAck':
        this.onAck(ctx, from, msg.seq);
        return true;
      case 'presenceNotify':
        this.onPresence(ctx, from, msg, me);
        return true;
      default:
        return false;
    }
  }

  /** Online (login done): tell every buddy where we are. */
  announce(ctx: Ctx, me: OwnPresence): void {
    for (const buddy of this.d.buddies) this.notify(ctx, buddy, 'online', me);
    ctx.out.push({ kind: 'metric', name: 'presenceSent', value: this.d.buddies.length, labels: { status: 'online' } });
  }

  /** Going offline: tell the buddies known to be online (the others have nothing to forget), forget what was pending. */
  goodbye(ctx: Ctx, me: OwnPresence): void {
    let told = 0;
    for (const buddy of this.d.buddies) {
      if (this.d.contact(buddy) === undefined) continue;
      this.notify(ctx, buddy, 'offline', me);
      told++;
    }
    ctx.out.push({ kind: 'metric', name: 'presenceSent', value: told, labels: { status: 'offline' } });
    this.stop(ctx);
  }

  /** Offline without a goodbye (lost session, crash handled by the runtime): pending messages are undelivered. */
  stop(ctx: Ctx): void {
    for (const p of this.pending) this.undelivered(ctx, p, 'offline');
    this.pending.length = 0;
    this.d.timers.cancel(ctx, 'chatRetry');
  }

  onTimer(ctx: Ctx): void {
    const now = ctx.now;
    for (let i = 0; i < this.pending.length; ) {
      const p = this.pending[i];
      if (p.dueMs > now) {
        i++;
        continue;
      }
      if (p.sends >= this.d.chatSendsMax) {
        this.pending.splice(i, 1);
        this.undelivered(ctx, p, 'noAck');
        continue;
      }
      this.transmit(ctx, p);
      i++;
    }
    this.arm(ctx);
  }

  private transmit(ctx: Ctx, p: Pending): void {
    p.sends++;
    p.dueMs = ctx.now + this.d.chatRetryMs;
    this.d.sendRouted(ctx, p.to, this.d.contact(p.to)?.superNode ?? NOWHERE, { type: 'chatMessage', seq: p.seq, text: p.text });
  }

  private arm(ctx: Ctx): void {
    if (this.pending.length === 0) return this.d.timers.cancel(ctx, 'chatRetry');
    let due = Infinity;
    for (const p of this.pending) due = Math.min(due, p.dueMs);
    this.d.timers.set(ctx, 'chatRetry', due - ctx.now);
  }

  private onChat(ctx: Ctx, from: string, fromSuperNode: Endpoint, msg: MessageOf<'chatMessage'>): void {
    const last = this.d.lastDelivered.get(from) ?? 0;
    if (msg.seq > last) {
      this.d.lastDelivered.set(from, msg.seq);
      ctx.out.push({ kind: 'trace', event: 'chatDelivered', detail: { from, seq: msg.seq, skipped: msg.seq - last - 1 } });
    } else {
      ctx.out.push({ kind: 'trace', event: 'chatDuplicate', detail: { from, seq: msg.seq, last } });
    }
    this.d.sendRouted(ctx, from, fromSuperNode, { type: 'chatAck', seq: msg.seq });
  }

  private onAck(ctx: Ctx, from: string, seq: number): void {
    const i = this.pending.findIndex((p) => p.to === from && p.seq === seq);
    if (i < 0) {
      ctx.out.push({ kind: 'trace', event: 'late', detail: { input: 'chatAck', seq } });
      return;
    }
    const [p] = this.pending.splice(i, 1);
    ctx.out.push({ kind: 'metric', name: 'chatAckMs', value: ctx.now - p.firstSentMs });
    ctx.out.push({ kind: 'metric', name: 'chatOutcome', value: 1, labels: { outcome: 'delivered' } });
    this.arm(ctx);
  }

  private undelivered(ctx: Ctx, p: Pending, cause: string): void {
    ctx.out.push({ kind: 'metric', name: 'chatOutcome', value: 1, labels: { outcome: 'undelivered' } });
    ctx.out.push({ kind: 'trace', event: 'chatUndelivered', detail: { to: p.to, seq: p.seq, sends: p.sends, cause } });
  }

  private onPresence(ctx: Ctx, from: string, msg: MessageOf<'presenceNotify'>, me: OwnPresence | undefined): void {
    const status = codeName(PRESENCE_STATUS, msg.status, 'unknown');
    ctx.out.push({ kind: 'trace', event: 'presenceReceived', detail: { from, status } });
    if (status === 'offline') return this.d.learn(from, undefined);
    if (status === 'unknown') return;
    this.d.learn(from, { superNode: msg.superNode, address: msg.address, natClass: codeName(NAT_CLASS, msg.natClass, 'unknown') });
    if (status === 'online' && me && this.d.buddies.includes(from)) this.notify(ctx, from, 'alsoOnline', me);
  }

  private notify(ctx: Ctx, to: string, status: keyof typeof PRESENCE_STATUS, me: OwnPresence): void {
    this.d.sendRouted(ctx, to, this.d.contact(to)?.superNode ?? NOWHERE, {
      type: 'presenceNotify',
      status: PRESENCE_STATUS[status],
      superNode: me.superNode,
      address: me.address,
      natClass: NAT_CLASS[me.natClass],
    });
  }
}
