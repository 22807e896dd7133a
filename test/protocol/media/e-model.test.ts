// The E-model as e-model.ts documents it: G.107 default terms, hand-computed Idd and Ie,eff
// points, the Annex B MOS mapping, the Cole & Rosenbluth alternative, jitter as delay, and
// MOS that never rises with delay or loss.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  absoluteDelayImpairment,
  CODEC_G711,
  CODEC_G711_PLC,
  CODEC_G723_1_VAD,
  CODEC_G729A_VAD,
  coleRosenbluthDelayImpairment,
  DEFAULT_CODEC,
  effectiveDelayMs,
  effectiveEquipmentImpairment,
  eModel,
  eModelTerms,
  IS,
  RO,
  rToMos,
  talkerEchoImpairment,
  TOTAL_NOISE_DBM0P,
  type CodecImpairment,
} from '../../../protocol/media/e-model.js';

const codecs: readonly CodecImpairment[] = [CODEC_G729A_VAD, CODEC_G711_PLC, CODEC_G711, CODEC_G723_1_VAD];

describe('G.107 default terms', () => {
  it('gives No = -61.18 dBm0p, Ro = 94.77 and Is = 1.41, the values G.107 derives from Table 3', () => {
    expect(TOTAL_NOISE_DBM0P).toBeCloseTo(-61.18, 2);
    expect(RO).toBeCloseTo(94.77, 2);
    expect(IS).toBeCloseTo(1.41, 2);
  });

  it('rates a connection with no delay, no loss and Ie = 0 at R = 93.2, MOS 4.41', () => {
    const { r, mos } = eModel({ oneWayDelayMs: 0, packetLossRatio: 0, codec: CODEC_G711 });
    expect(r).toBeCloseTo(93.2, 1);
    expect(mos).toBeCloseTo(4.41, 2);
    // At zero delay only listener echo remains (Tr = 0: Idle = 0.149), talker echo is off.
    const terms = eModelTerms({ oneWayDelayMs: 0, packetLossRatio: 0, codec: CODEC_G711 });
    expect(terms.idte).toBe(0);
    expect(terms.idd).toBe(0);
    expect(terms.idle).toBeCloseTo(0.149, 3);
  });

  it('defaults to G.729A+VAD, which costs exactly its Ie = 11 without loss', () => {
    expect(DEFAULT_CODEC).toEqual({ name: 'G.729A+VAD', ie: 11, bpl: 19 });
    for (const d of [0, 80, 150, 300]) {
      const g711 = eModel({ oneWayDelayMs: d, packetLossRatio: 0, codec: CODEC_G711 }).r;
      expect(eModel({ oneWayDelayMs: d, packetLossRatio: 0 }).r).toBeCloseTo(g711 - 11, 10);
    }
  });
});

describe('delay impairment', () => {
  it('Idd is 0 up to 100 ms and matches the hand values at X = 1 (200 ms) and X = 2 (400 ms)', () => {
    expect(absoluteDelayImpairment(0)).toBe(0);
    expect(absoluteDelayImpairment(100)).toBe(0);
    // X = 1: 25 (2^(1/6) - 3 (1 + 3^-6)^(1/6) + 2) = 3.0444.
    expect(absoluteDelayImpairment(200)).toBeCloseTo(25 * (2 ** (1 / 6) - 3 * (1 + 3 ** -6) ** (1 / 6) + 2), 12);
    expect(absoluteDelayImpairment(200)).toBeCloseTo(3.0444, 4);
    // X = 2: 25 (65^(1/6) - 3 (1 + (2/3)^6)^(1/6) + 2) = 24.070.
    expect(absoluteDelayImpairment(400)).toBeCloseTo(24.07, 2);
  });

  it('Idte is floored at 0 for the first milliseconds, where the raw formula dips below 0', () => {
    for (const t of [0, 0.5, 1, 2, 4]) expect(talkerEchoImpairment(t)).toBe(0);
    expect(talkerEchoImpairment(5)).toBeGreaterThan(0);
    expect(talkerEchoImpairment(100)).toBeCloseTo(1.96, 2);
  });

  it('sums Idte(d) + Idle(2d) + Idd(d) for a one-way delay d', () => {
    const t = eModelTerms({ oneWayDelayMs: 200, packetLossRatio: 0, codec: CODEC_G711 });
    expect(t.idd).toBeCloseTo(3.0444, 4);
    expect(t.id).toBeCloseTo(t.idte + t.idle + t.idd, 12);
    expect(t.r).toBeCloseTo(RO - IS - t.id, 12);
  });

  it('Cole & Rosenbluth: 0.024 d, plus 0.11 per ms past 177.3 ms', () => {
    expect(coleRosenbluthDelayImpairment(0)).toBe(0);
    expect(coleRosenbluthDelayImpairment(177.3)).toBeCloseTo(4.2552, 10);
    expect(coleRosenbluthDelayImpairment(277.3)).toBeCloseTo(0.024 * 277.3 + 11, 10);
    const r = eModel({ oneWayDelayMs: 277.3, packetLossRatio: 0, codec: CODEC_G711, delayModel: 'coleRosenbluth' }).r;
    expect(r).toBeCloseTo(RO - IS - (0.024 * 277.3 + 11), 10);
  });

  it('the full terms and the fit agree within 3.1 R from 100 to 400 ms', () => {
    for (let d = 100; d <= 400; d += 10) {
      const full = eModelTerms({ oneWayDelayMs: d, packetLossRatio: 0 }).id;
      expect(Math.abs(full - coleRosenbluthDelayImpairment(d))).toBeLessThanOrEqual(3.1);
    }
  });
});

describe('effective equipment impairment', () => {
  it('matches G.107 clause 7.5 by hand, with Ppl in percent', () => {
    // G.729A at 2 % random loss: 11 + 84 * 2 / (2 + 19) = 19.
    expect(effectiveEquipmentImpairment(CODEC_G729A_VAD, 0.02, 1)).toBeCloseTo(19, 12);
    // Bursty (BurstR = 2): 11 + 84 * 2 / (1 + 19) = 19.4.
    expect(effectiveEquipmentImpairment(CODEC_G729A_VAD, 0.02, 2)).toBeCloseTo(19.4, 12);
    expect(effectiveEquipmentImpairment(CODEC_G711_PLC, 0, 1)).toBe(0);
    // Concealment matters: 5 % without PLC costs far more than with it.
    expect(effectiveEquipmentImpairment(CODEC_G711, 0.05, 1)).toBeCloseTo((95 * 5) / (5 + 4.3), 12);
    expect(effectiveEquipmentImpairment(CODEC_G711_PLC, 0.05, 1)).toBeCloseTo((95 * 5) / (5 + 25.1), 12);
  });

  it('enters R one for one', () => {
    const lossless = eModel({ oneWayDelayMs: 50, packetLossRatio: 0 }).r;
    expect(eModel({ oneWayDelayMs: 50, packetLossRatio: 0.02 }).r).toBeCloseTo(lossless - 8, 10);
    expect(eModel({ oneWayDelayMs: 50, packetLossRatio: 0.02, burstRatio: 2 }).r).toBeCloseTo(lossless - 8.4, 10);
  });
});

describe('R to MOS (G.107 Annex B)', () => {
  it('hits the formula at hand-computed points', () => {
    expect(rToMos(50)).toBeCloseTo(2.575, 12);
    expect(rToMos(70)).toBeCloseTo(1 + 0.035 * 70 + 70 * 10 * 30 * 7e-6, 12);
    expect(rToMos(80)).toBeCloseTo(4.024, 12);
    expect(rToMos(93.2)).toBeCloseTo(4.41, 2);
  });

  it('is 1 at and below R = 0, 4.5 at and above R = 100, and never below 1 where the cubic dips', () => {
    expect(rToMos(-20)).toBe(1);
    expect(rToMos(0)).toBe(1);
    expect(rToMos(100)).toBe(4.5);
    expect(rToMos(130)).toBe(4.5);
    // The raw cubic gives 0.989 at R = 3.2.
    expect(1 + 0.035 * 3.2 + 3.2 * (3.2 - 60) * (100 - 3.2) * 7e-6).toBeLessThan(0.99);
    expect(rToMos(3.2)).toBe(1);
  });

  it('never decreases with R and stays in [1, 4.5]', () => {
    fc.assert(
      fc.property(fc.double({ min: -50, max: 150, noNaN: true }), fc.double({ min: -50, max: 150, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(rToMos(lo)).toBeLessThanOrEqual(rToMos(hi));
        expect(rToMos(lo)).toBeGreaterThanOrEqual(1);
        expect(rToMos(hi)).toBeLessThanOrEqual(4.5);
      }),
    );
  });
});

describe('jitter', () => {
  it('counts a playout buffer of twice the jitter as delay', () => {
    expect(effectiveDelayMs(100, 15)).toBe(130);
    expect(effectiveDelayMs(100, 0)).toBe(100);
    expect(() => effectiveDelayMs(100, -1)).toThrow(RangeError);
  });

  it('jitterBufferMs adds to the one-way delay', () => {
    const buffered = eModel({ oneWayDelayMs: 150, packetLossRatio: 0.01, jitterBufferMs: 60 });
    expect(buffered).toEqual(eModel({ oneWayDelayMs: 210, packetLossRatio: 0.01 }));
    expect(buffered.r).toBeLessThan(eModel({ oneWayDelayMs: 150, packetLossRatio: 0.01 }).r);
  });
});

describe('monotonicity', () => {
  const codec = fc.constantFrom(...codecs);
  const delayMs = fc.double({ min: 0, max: 2000, noNaN: true });
  const lossRatio = fc.double({ min: 0, max: 1, noNaN: true });
  const burstRatio = fc.double({ min: 0.5, max: 8, noNaN: true });
  const delayModel = fc.constantFrom('g107' as const, 'coleRosenbluth' as const);
  // Is is computed at T = 0 and Idle strictly grows, so no tolerance beyond rounding is needed.
  const epsilon = 1e-9;

  it('MOS and R never rise with delay', () => {
    fc.assert(
      fc.property(delayMs, delayMs, lossRatio, burstRatio, codec, delayModel, (d1, d2, loss, burst, c, model) => {
        const [near, far] = d1 <= d2 ? [d1, d2] : [d2, d1];
        const a = eModel({ oneWayDelayMs: near, packetLossRatio: loss, burstRatio: burst, codec: c, delayModel: model });
        const b = eModel({ oneWayDelayMs: far, packetLossRatio: loss, burstRatio: burst, codec: c, delayModel: model });
        expect(b.r).toBeLessThanOrEqual(a.r + epsilon);
        expect(b.mos).toBeLessThanOrEqual(a.mos + epsilon);
      }),
    );
  });

  it('MOS and R never rise with loss', () => {
    fc.assert(
      fc.property(delayMs, lossRatio, lossRatio, burstRatio, codec, (d, l1, l2, burst, c) => {
        const [less, more] = l1 <= l2 ? [l1, l2] : [l2, l1];
        const a = eModel({ oneWayDelayMs: d, packetLossRatio: less, burstRatio: burst, codec: c });
        const b = eModel({ oneWayDelayMs: d, packetLossRatio: more, burstRatio: burst, codec: c });
        expect(b.r).toBeLessThanOrEqual(a.r + epsilon);
        expect(b.mos).toBeLessThanOrEqual(a.mos + epsilon);
      }),
    );
  });

  it('R falls strictly between clearly different delays in the range calls see', () => {
    let previous = Infinity;
    for (let d = 10; d <= 600; d += 10) {
      const { r } = eModel({ oneWayDelayMs: d, packetLossRatio: 0 });
      expect(r).toBeLessThan(previous);
      previous = r;
    }
  });
});

describe('caller misuse', () => {
  it('throws RangeError for inputs outside the model', () => {
    expect(() => eModel({ oneWayDelayMs: -1, packetLossRatio: 0 })).toThrow(RangeError);
    expect(() => eModel({ oneWayDelayMs: Number.NaN, packetLossRatio: 0 })).toThrow(RangeError);
    expect(() => eModel({ oneWayDelayMs: Infinity, packetLossRatio: 0 })).toThrow(RangeError);
    expect(() => eModel({ oneWayDelayMs: 10, packetLossRatio: 1.5 })).toThrow(RangeError);
    expect(() => eModel({ oneWayDelayMs: 10, packetLossRatio: Number.NaN })).toThrow(RangeError);
    expect(() => eModel({ oneWayDelayMs: 10, packetLossRatio: 0.1, burstRatio: 0 })).toThrow(RangeError);
    expect(() => eModel({ oneWayDelayMs: 10, packetLossRatio: 0, jitterBufferMs: -5 })).toThrow(RangeError);
    expect(() => eModel({ oneWayDelayMs: 10, packetLossRatio: 0, codec: { name: 'x', ie: 120, bpl: 10 } })).toThrow(RangeError);
    expect(() => eModel({ oneWayDelayMs: 10, packetLossRatio: 0, codec: { name: 'x', ie: 10, bpl: 0 } })).toThrow(RangeError);
  });

  it('accepts the edges: total loss leaves Ie,eff short of 95, Idd saturates at 50', () => {
    // G.107 clause 7.5 has no special case for Ppl = 100: Ie,eff = 11 + 84 x 100 / 119 = 81.6.
    const total = eModelTerms({ oneWayDelayMs: 0, packetLossRatio: 1 });
    expect(total.ieEff).toBeCloseTo(11 + 8400 / 119, 10);
    expect(rToMos(total.r)).toBeLessThan(1.1);
    expect(eModel({ oneWayDelayMs: 0, packetLossRatio: 1, codec: CODEC_G711 }).mos).toBe(1);
    // Idd tends to 25 x 2 as X grows, so even 5 s of delay leaves R above 0 with G.729A.
    expect(absoluteDelayImpairment(1e9)).toBeLessThan(50);
    expect(absoluteDelayImpairment(1e9)).toBeGreaterThan(49.9);
    const late = eModel({ oneWayDelayMs: 5000, packetLossRatio: 0 });
    expect(late.r).toBeGreaterThan(0);
    expect(late.mos).toBeLessThan(1.2);
  });
});
