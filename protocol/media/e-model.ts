/**
 * Call quality from network measurements: the ITU-T G.107 E-model, reduced to the inputs a
 * simulated call can measure (one-way delay, packet loss, its burstiness, jitter).
 *
 * What it models. G.107 clause 7 rates a connection with the transmission rating
 *
 *   R = Ro - Is - Id - Ie,eff + A                                        (G.107 clause 7.1)
 *
 * where Ro is the basic signal-to-noise ratio, Is the impairments simultaneous with the voice
 * (loudness, sidetone, quantisation), Id the delay impairments (talker echo, listener echo,
 * absolute delay), Ie,eff the codec and packet-loss impairment and A the advantage factor.
 * R maps to an estimated conversational MOS by G.107 Annex B.
 *
 * What it abstracts. Every parameter that describes handsets, rooms and analogue loops keeps
 * its G.107 Table 3 default (`G107_DEFAULTS`); with them Ro = 94.77 and Is = 1.41, and a
 * connection with no delay, no loss and Ie = 0 rates R = 93.2 (MOS 4.41), the figure G.107
 * quotes for its defaults. The inputs are the ones a call measures: the mouth-to-ear delay,
 * the packet-loss ratio and burst ratio, the jitter-buffer delay and the codec.
 *
 * Delay impairment: we evaluate the full G.107 clause 7.4 Id = Idte + Idle + Idd rather than
 * the common linear fit Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3) (Cole & Rosenbluth,
 * "Voice over IP performance monitoring", ACM CCR 31(2), 2001), because the fit was drawn
 * through G.107 curves for one set of echo assumptions and the full terms cost nothing here.
 * The mapping from one measured delay d to G.107's three delays is the usual VoIP planning
 * assumption: absolute delay Ta = d, talker-echo path T = d (the echo returns from the far
 * end's terminal, echo-cancelled to the default TELR = 65 dB), listener-echo loop Tr = 2 d.
 * The fit stays available (`delayModel: 'coleRosenbluth'`, `coleRosenbluthDelayImpairment`);
 * the two agree within 3.1 R between 100 and 400 ms (see the tests).
 *
 * One deliberate deviation: for talker-echo delays below about 4.1 ms the Idte formula goes
 * slightly negative (down to -0.11 at T = 1 ms) as its (1 - e^-T) factor switches the term on,
 * which would make R rise with delay. An impairment that improves quality is an artefact of
 * the formula, so we floor Idte at 0; above 4.1 ms nothing changes. With it, R and MOS never
 * increase with delay or loss.
 *
 * Codec: Ie and Bpl come from G.113 Appendix I (Tables I.1 and I.3). Skype in 2004 ran GIPS
 * codecs (iLBC, iSAC), which G.113 does not list; the default is the closest listed
 * low-bit-rate VoIP codec of the time with concealment, G.729A with VAD (Ie 11, Bpl 19).
 *
 * Jitter: G.107 has no jitter term. The usual practice, which we follow, counts a playout
 * buffer sized to twice the RFC 3550 interarrival jitter as extra mouth-to-ear delay
 * (`effectiveDelayMs`); late discards by the buffer, if any, belong in the loss ratio.
 *
 * Pure: no clock, no randomness, no state. Caller misuse (a negative delay, a loss ratio above
 * 1) throws RangeError at the API edge.
 */

/** A codec's impairments under G.107 clause 7.5 (values from G.113 Appendix I). */
export interface CodecImpairment {
  readonly name: string;
  /** Equipment impairment factor Ie with no packet loss (0..95). */
  readonly ie: number;
  /** Packet-loss robustness factor Bpl (> 0); larger means the codec conceals loss better. */
  readonly bpl: number;
}

/** G.729 Annex A with VAD, 20 ms packets, random loss (G.113 Tables I.1, I.3): our default. */
export const CODEC_G729A_VAD: CodecImpairment = { name: 'G.729A+VAD', ie: 11, bpl: 19.0 };
/** G.711 with packet-loss concealment (G.711 Appendix I), random loss (G.113 Table I.3). */
export const CODEC_G711_PLC: CodecImpairment = { name: 'G.711 PLC', ie: 0, bpl: 25.1 };
/** G.711 without concealment, random loss (G.113 Table I.3; 4.3 is also G.107's default Bpl). */
export const CODEC_G711: CodecImpairment = { name: 'G.711', ie: 0, bpl: 4.3 };
/** G.723.1 at 6.3 kbit/s with VAD, random loss (G.113 Tables I.1, I.3). */
export const CODEC_G723_1_VAD: CodecImpairment = { name: 'G.723.1+VAD 6.3k', ie: 15, bpl: 16.1 };

export const DEFAULT_CODEC: CodecImpairment = CODEC_G729A_VAD;

/** G.107 Table 3 default values; dB unless the name says otherwise. */
export const G107_DEFAULTS = {
  /** Send loudness rating SLR. */
  sendLoudnessRatingDb: 8,
  /** Receive loudness rating RLR. */
  receiveLoudnessRatingDb: 2,
  /** Sidetone masking rating STMR. */
  sidetoneMaskingRatingDb: 15,
  /** Listener sidetone rating LSTR. */
  listenerSidetoneRatingDb: 18,
  /** D-value of the telephone, send side Ds (dimensionless). */
  dValueSend: 3,
  /** Talker echo loudness rating TELR (echo-cancelled connection). */
  talkerEchoLoudnessRatingDb: 65,
  /** Weighted echo path loss WEPL. */
  weightedEchoPathLossDb: 110,
  /** Number of quantisation distortion units qdu (dimensionless). */
  quantisationDistortionUnits: 1,
  /** Circuit noise referred to the 0 dBr point Nc, in dBm0p. */
  circuitNoiseDbm0p: -70,
  /** Noise floor at the receive side Nfor, in dBmp. */
  noiseFloorDbmp: -64,
  /** Room noise at the send side Ps, in dB(A). */
  roomNoiseSendDba: 35,
  /** Room noise at the receive side Pr, in dB(A). */
  roomNoiseReceiveDba: 35,
  /** Advantage factor A (wirebound default; G.107 clause 7.6 allows up to 20 for hard-to-reach places). */
  advantageFactor: 0,
  /** Burst ratio BurstR: 1 for random loss. */
  burstRatio: 1,
} as const;

/** The playout buffer counted per unit of RFC 3550 jitter (planning practice, not G.107). */
export const JITTER_BUFFER_FACTOR = 2;

/** G.107 clause 7.4: Idd = 0 up to this absolute delay. */
export const IDD_THRESHOLD_MS = 100;

const lg = Math.log10;
const D = G107_DEFAULTS;
const OLR_DB = D.sendLoudnessRatingDb + D.receiveLoudnessRatingDb;

/** Total noise power No at the 0 dBr point, in dBm0p (G.107 clause 7.2). */
function totalNoiseDbm0p(): number {
  const slr = D.sendLoudnessRatingDb;
  const rlr = D.receiveLoudnessRatingDb;
  const nos = D.roomNoiseSendDba - slr - D.dValueSend - 100 + 0.004 * (D.roomNoiseSendDba - OLR_DB - D.dValueSend - 14) ** 2;
  const pre = D.roomNoiseReceiveDba + 10 * lg(1 + 10 ** ((10 - D.listenerSidetoneRatingDb) / 10));
  const nor = rlr - 121 + pre + 0.008 * (pre - 35) ** 2;
  const nfo = D.noiseFloorDbmp + rlr;
  return 10 * lg(10 ** (D.circuitNoiseDbm0p / 10) + 10 ** (nos / 10) + 10 ** (nor / 10) + 10 ** (nfo / 10));
}

/** No with the G.107 defaults: -61.18 dBm0p. */
export const TOTAL_NOISE_DBM0P = totalNoiseDbm0p();

/** Basic signal-to-noise ratio Ro = 15 - 1.5 (SLR + No) (G.107 clause 7.2): 94.77 with the defaults. */
export const RO = 15 - 1.5 * (D.sendLoudnessRatingDb + TOTAL_NOISE_DBM0P);

/**
 * Simultaneous impairment Is = Iolr + Ist + Iq (G.107 clause 7.3). Ist depends on the talker
 * echo delay T only through STMRo, by far less than 1e-6 with TELR = 65 dB, so Is is a
 * constant here.
 */
function simultaneousImpairment(): number {
  const xolr = OLR_DB + 0.2 * (64 + TOTAL_NOISE_DBM0P - D.receiveLoudnessRatingDb);
  const iolr = 20 * ((1 + (xolr / 8) ** 8) ** (1 / 8) - xolr / 8);
  // STMRo at T = 0; see above for why T is left out.
  const stmro = -10 * lg(10 ** (-D.sidetoneMaskingRatingDb / 10) + 10 ** (-D.talkerEchoLoudnessRatingDb / 10));
  const ist =
    12 * (1 + ((stmro - 13) / 6) ** 8) ** (1 / 8) -
    28 * (1 + ((stmro + 1) / 19.4) ** 35) ** (1 / 35) -
    13 * (1 + ((stmro - 3) / 33) ** 13) ** (1 / 13) +
    29;
  const q = 37 - 15 * lg(D.quantisationDistortionUnits);
  const g = 1.07 + 0.258 * q + 0.0602 * q * q;
  const y = (RO - 100) / 15 + 46 / 8.4 - g / 9;
  const z = 46 / 30 - g / 40;
  const iq = 15 * lg(1 + 10 ** y + 10 ** z);
  return iolr + ist + iq;
}

/** Is with the G.107 defaults: 1.41. */
export const IS = simultaneousImpairment();

/**
 * Talker echo impairment Idte for a talker-echo path delay T (G.107 clause 7.4),
 * floored at 0 (see the header: the formula dips below 0 for T < 4.1 ms).
 */
export function talkerEchoImpairment(echoDelayMs: number): number {
  const t = echoDelayMs;
  const roe = -1.5 * (TOTAL_NOISE_DBM0P - D.receiveLoudnessRatingDb);
  const terv = D.talkerEchoLoudnessRatingDb - 40 * lg((1 + t / 10) / (1 + t / 150)) + 6 * Math.exp(-0.3 * t * t);
  const re = 80 + 2.5 * (terv - 14);
  const idte = ((roe - re) / 2 + Math.sqrt((roe - re) ** 2 / 4 + 100) - 1) * (1 - Math.exp(-t));
  return Math.max(0, idte);
}

/** Listener echo impairment Idle for a 4-wire loop round-trip delay Tr (G.107 clause 7.4). */
export function listenerEchoImpairment(loopDelayMs: number): number {
  const rle = 10.5 * (D.weightedEchoPathLossDb + 7) * (loopDelayMs + 1) ** -0.25;
  return (RO - rle) / 2 + Math.sqrt((RO - rle) ** 2 / 4 + 169);
}

/**
 * Absolute delay impairment Idd (G.107 clause 7.4): 0 up to Ta = 100 ms, then
 * 25 [(1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) + 2] with X = log2(Ta / 100). Hand values:
 * Ta = 200 ms gives X = 1 and Idd = 3.04; Ta = 400 ms gives X = 2 and Idd = 24.07. As X
 * grows the first two terms cancel and Idd tends to 50: G.107 bounds the cost of delay.
 */
export function absoluteDelayImpairment(absoluteDelayMs: number): number {
  if (absoluteDelayMs <= IDD_THRESHOLD_MS) return 0;
  const x = lg(absoluteDelayMs / IDD_THRESHOLD_MS) / lg(2);
  return 25 * ((1 + x ** 6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2);
}

/** Cole & Rosenbluth's linear fit of Id: 0.024 d + 0.11 (d - 177.3) H(d - 177.3). */
export function coleRosenbluthDelayImpairment(oneWayDelayMs: number): number {
  return 0.024 * oneWayDelayMs + (oneWayDelayMs > 177.3 ? 0.11 * (oneWayDelayMs - 177.3) : 0);
}

/**
 * Effective equipment impairment Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)
 * (G.107 clause 7.5), with Ppl in percent as G.107 has it. It stays below 95 even at total
 * loss (G.729A: 81.6); a stream that delivered nothing is the caller's case to handle.
 */
export function effectiveEquipmentImpairment(codec: CodecImpairment, packetLossRatio: number, burstRatio: number): number {
  const pplPercent = 100 * packetLossRatio;
  return codec.ie + ((95 - codec.ie) * pplPercent) / (pplPercent / burstRatio + codec.bpl);
}

/**
 * Estimated conversational MOS from R (G.107 Annex B): 1 below R = 0, 4.5 above
 * R = 100, 1 + 0.035 R + R (R - 60) (100 - R) 7e-6 between. The cubic dips to 0.989 near
 * R = 3.2 (it falls below 1 for 0 < R < 6.5); we floor it at 1, the bottom of the MOS
 * scale, which keeps MOS non-decreasing in R.
 */
export function rToMos(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return Math.max(1, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6);
}

/**
 * Mouth-to-ear delay including a playout buffer of JITTER_BUFFER_FACTOR (2) times the
 * measured RFC 3550 jitter: the buffer must hold that much to play most frames on time, and
 * every frame waits in it.
 */
export function effectiveDelayMs(delayMs: number, jitterMs: number): number {
  if (!(jitterMs >= 0) || !Number.isFinite(jitterMs)) throw new RangeError(`effectiveDelayMs: jitterMs must be a finite number >= 0, got ${jitterMs}`);
  return delayMs + JITTER_BUFFER_FACTOR * jitterMs;
}

export type DelayModel = 'g107' | 'coleRosenbluth';

export interface EModelInput {
  /** Mouth-to-ear delay (network plus codec and packetisation), without the jitter buffer. */
  readonly oneWayDelayMs: number;
  /** Fraction of packets lost, 0..1 (G.107's Ppl is this times 100). */
  readonly packetLossRatio: number;
  /** G.107 BurstR: 1 (default) for random loss, > 1 for bursty loss. */
  readonly burstRatio?: number;
  /** Playout buffer delay added to `oneWayDelayMs` (e.g. JITTER_BUFFER_FACTOR x jitter); default 0. */
  readonly jitterBufferMs?: number;
  readonly codec?: CodecImpairment;
  /** Advantage factor A (G.107 clause 7.6); default 0. */
  readonly advantageFactor?: number;
  /** How Id is computed: full G.107 terms (default) or the Cole & Rosenbluth fit. */
  readonly delayModel?: DelayModel;
}

/** Every term of the rating, for reports and tests. */
export interface EModelTerms {
  readonly ro: number;
  readonly is: number;
  readonly idte: number;
  readonly idle: number;
  readonly idd: number;
  /** Idte + Idle + Idd, or the Cole & Rosenbluth fit (then the three parts are 0). */
  readonly id: number;
  readonly ieEff: number;
  readonly a: number;
  readonly r: number;
}

export interface EModelResult {
  readonly r: number;
  readonly mos: number;
}

function checkInput(input: EModelInput): void {
  const bad = (field: string, want: string, got: unknown): never => {
    throw new RangeError(`eModel: ${field} must be ${want}, got ${String(got)}`);
  };
  const { oneWayDelayMs, packetLossRatio, burstRatio, jitterBufferMs, codec, advantageFactor, delayModel } = input;
  if (!Number.isFinite(oneWayDelayMs) || oneWayDelayMs < 0) bad('oneWayDelayMs', 'a finite number >= 0', oneWayDelayMs);
  if (!(packetLossRatio >= 0 && packetLossRatio <= 1)) bad('packetLossRatio', 'in [0, 1]', packetLossRatio);
  if (burstRatio !== undefined && !(Number.isFinite(burstRatio) && burstRatio > 0)) bad('burstRatio', 'a finite number > 0', burstRatio);
  if (jitterBufferMs !== undefined && !(Number.isFinite(jitterBufferMs) && jitterBufferMs >= 0)) bad('jitterBufferMs', 'a finite number >= 0', jitterBufferMs);
  if (codec !== undefined && !(codec.ie >= 0 && codec.ie <= 95)) bad('codec.ie', 'in [0, 95]', codec.ie);
  if (codec !== undefined && !(Number.isFinite(codec.bpl) && codec.bpl > 0)) bad('codec.bpl', 'a finite number > 0', codec.bpl);
  if (advantageFactor !== undefined && !Number.isFinite(advantageFactor)) bad('advantageFactor', 'a finite number', advantageFactor);
  if (delayModel !== undefined && delayModel !== 'g107' && delayModel !== 'coleRosenbluth') bad('delayModel', "'g107' or 'coleRosenbluth'", delayModel);
}

/** The terms of R for one direction of a call; see the header for the assumptions. */
export function eModelTerms(input: EModelInput): EModelTerms {
  checkInput(input);
  const delayMs = input.oneWayDelayMs + (input.jitterBufferMs ?? 0);
  const a = input.advantageFactor ?? D.advantageFactor;
  const ieEff = effectiveEquipmentImpairment(input.codec ?? DEFAULT_CODEC, input.packetLossRatio, input.burstRatio ?? D.burstRatio);
  let idte = 0;
  let idle = 0;
  let idd = 0;
  let id: number;
  if (input.delayModel === 'coleRosenbluth') {
    id = coleRosenbluthDelayImpairment(delayMs);
  } else {
    // T = Ta = d, Tr = 2d: the VoIP planning assumption in the header.
    idte = talkerEchoImpairment(delayMs);
    idle = listenerEchoImpairment(2 * delayMs);
    idd = absoluteDelayImpairment(delayMs);
    id = idte + idle + idd;
  }
  const r = RO - IS - id - ieEff + a;
  return { ro: RO, is: IS, idte, idle, idd, id, ieEff, a, r };
}

/** R and MOS for one direction of a call. */
export function eModel(input: EModelInput): EModelResult {
  const { r } = eModelTerms(input);
  return { r, mos: rToMos(r) };
}
