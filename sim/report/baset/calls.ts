/**
 * Rows of the call and media items: BS-21 (signalling over TCP), BS-22 (both public: direct),
 * BS-23 (a NAT: signalling through SNs, media over UDP through a relay), BS-24 (UDP blocked:
 * everything over TCP through the relay, no UDP), BS-25 (voice rate), BS-26 (no silence
 * suppression), BS-27 (one packet every 3 s on hold).
 */

import { SETUP_NAMES, type SetupName } from './lab.js';
import type { Measurements } from './measure.js';
import type { SessionResult } from './session.js';
import { median, summary } from './stats.js';
import { PUBLISHED, row, verdictOf, type Row } from './types.js';

const uniq = (xs: readonly string[]): string => [...new Set(xs)].join(' | ');

function describe(s: SessionResult): string {
  const c = s.call;
  if (!c.ok) return `failed (${c.failure})`;
  return `signalling ${c.signalling}/${c.signallingProtos.join('+')}, media caller→${c.media.caller.to} ${c.media.caller.proto}, callee→${c.media.callee.to} ${c.media.callee.proto}`;
}

/** The relay of a relayed call: a third node, neither end. */
const thirdNode = (s: SessionResult) => s.call.relay !== '' && s.call.relay !== 'caller' && s.call.relay !== 'callee';

export function callRows(m: Measurements): Row[] {
  const rows: Row[] = [];
  const all = SETUP_NAMES.flatMap((n) => m.sessions[n]);
  const failed = all.filter((s) => !s.call.ok);
  rows.push(
    row({
      id: 'BS-21',
      published: 'call signalling is always TCP',
      measured: `${all.filter((s) => s.call.ok && s.call.signallingProtos.length === 1 && s.call.signallingProtos[0] === 'tcp').length}/${all.length} calls signalled over TCP only${failed.length ? `; ${failed.length} failed: ${uniq(failed.map((s) => `${s.setup} ${s.call.failure}`))}` : ''}`,
      toleranceClass: 'exact',
      verdict: verdictOf(failed.length === 0 && all.every((s) => s.call.signallingProtos.join() === 'tcp')),
      explanation: 'Every session\'s call (to a buddy). Calling a non-buddy (search, then call) is BS-21b.',
    }),
  );

  const pub = m.sessions.public;
  rows.push(
    row({
      id: 'BS-22',
      published: 'both public: TCP signalling directly between the two, media directly over UDP',
      measured: uniq(pub.map(describe)),
      toleranceClass: 'exact',
      verdict: verdictOf(pub.every((s) => s.call.ok && s.call.signalling === 'direct' && s.call.media.caller.to === 'callee' && s.call.media.callee.to === 'caller' && s.call.media.caller.proto === 'udp' && s.call.media.callee.proto === 'udp')),
      explanation: '',
    }),
  );

  const nat = m.sessions['port-restricted-nat'];
  rows.push(
    row({
      id: 'BS-23',
      published: 'a NAT involved: signalling through the SNs, media over UDP through a relay, a third public node',
      measured: `${uniq(nat.map(describe))}; relays: ${uniq(nat.map((s) => s.call.relay))}`,
      toleranceClass: 'exact',
      verdict: verdictOf(nat.every((s) => s.call.ok && s.call.signalling === 'via-sn' && thirdNode(s) && s.call.media.caller.to === s.call.relay && s.call.media.callee.to === s.call.relay && s.call.media.caller.proto === 'udp' && s.call.media.callee.proto === 'udp')),
      explanation: 'Hole punching is off in the 2004 profile, as the study observed relayed media.',
    }),
  );

  const blocked = [...m.sessions['nat-udp-blocked'], ...m.sessions['nat-tcp-80-443']];
  rows.push(
    row({
      id: 'BS-24',
      published: 'UDP blocked: signalling and media over TCP through the relay; no UDP at all',
      measured: `${uniq(blocked.map((s) => `${s.setup}: ${describe(s)}`))}; UDP packets during the calls: ${blocked.reduce((a, s) => a + s.call.udpDuringCall, 0)}`,
      toleranceClass: 'exact',
      verdict: verdictOf(blocked.every((s) => s.call.ok && s.call.signalling === 'via-sn' && thirdNode(s) && s.call.media.caller.proto === 'tcp' && s.call.media.callee.proto === 'tcp' && s.call.udpDuringCall === 0)),
      explanation: 'Both firewalled setups; UDP counted from the call\'s placement to its end, sent or dropped at the firewall.',
    }),
  );

  // BS-25: rate per direction while talking, by transport.
  const rateBy = (names: readonly SetupName[]) => names.flatMap((n) => m.sessions[n].filter((s) => s.call.ok).flatMap((s) => [s.call.talkBytesPerSec.caller, s.call.talkBytesPerSec.callee]));
  const udpRates = rateBy(['public', 'port-restricted-nat']);
  const tcpRates = rateBy(['nat-udp-blocked', 'nat-tcp-80-443']);
  const about = (x: number) => Math.abs(x - PUBLISHED.voiceBytesPerSec) <= 500;
  rows.push(
    row({
      id: 'BS-25',
      published: `voice about ${PUBLISHED.voiceBytesPerSec / 1000} kB/s`,
      measured: `per direction, wire bytes with headers: ${(median(udpRates) / 1000).toFixed(2)} kB/s over UDP, ${(median(tcpRates) / 1000).toFixed(2)} kB/s over TCP (medians)`,
      toleranceClass: 'range',
      verdict: verdictOf(about(median(udpRates)) && about(median(tcpRates))),
      explanation: `"About" taken as ±0.5 kB/s. The profile sizes frames so that the UDP wire rate is 24 kbit/s (3 kB/s) per direction; over TCP each 20 ms frame carries 12 more header bytes (TCP's 20 against UDP's 8), ${about(median(tcpRates)) ? 'still within the range' : 'which takes the TCP rate out of the range'}. The study's figure does not say which transport or direction it counts.`,
    }),
  );

  const gaps = all.filter((s) => s.call.ok).map((s) => s.call.talkMaxGapMs);
  const frameMs = Math.max(...all.map((s) => s.call.frameMs));
  rows.push(
    row({
      id: 'BS-26',
      published: 'no silence suppression: voice packets flow during silence too',
      measured: `largest gap between two voice frames of one side while talking: ${Math.max(...gaps).toFixed(2)} ms (frame interval ${frameMs} ms), over ${gaps.length} calls`,
      toleranceClass: 'exact',
      verdict: verdictOf(gaps.length > 0 && Math.max(...gaps) <= frameMs + 0.01),
      explanation: 'The model has no talk-spurt source: a frame every frame interval is what "no suppression" means for it; the row would catch a gap introduced by the sender.',
    }),
  );

  const hold = summary(all.filter((s) => s.call.ok).flatMap((s) => s.call.holdIntervalsMs));
  rows.push(
    row({
      id: 'BS-27',
      published: `on hold, one packet about every ${PUBLISHED.holdPacketIntervalMs / 1000} s`,
      measured: `${hold.n} intervals between one side's packets while held: ${(hold.min / 1000).toFixed(3)}-${(hold.max / 1000).toFixed(3)} s, median ${(hold.median / 1000).toFixed(3)} s`,
      toleranceClass: 'timer-exact',
      verdict: verdictOf(hold.n > 0 && Math.abs(hold.min - PUBLISHED.holdPacketIntervalMs) <= 0.01 && Math.abs(hold.max - PUBLISHED.holdPacketIntervalMs) <= 0.01),
      explanation: 'Both sides send while the caller holds; intervals from the sends, so the path adds nothing.',
    }),
  );
  return rows;
}

export function callSetupTimes(m: Measurements): Record<SetupName, ReturnType<typeof summary> & { path: string }> {
  return Object.fromEntries(
    SETUP_NAMES.map((n) => [n, { ...summary(m.sessions[n].filter((s) => s.call.ok).map((s) => s.call.setupMs)), path: uniq(m.sessions[n].map((s) => s.call.path)) }]),
  ) as Record<SetupName, ReturnType<typeof summary> & { path: string }>;
}
