// Keys derived from a Random: the RFC test vectors come out of the derivation, the same
// Random gives the same keys, and a peer's raw key bytes never throw.
import { diffieHellman, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agreementPublicKey, deriveAgreementKeyPair, deriveSigningKeyPair, randomBytesFrom, signingPublicKey } from '../../../protocol/crypto/keys.js';
import { bytesRandom, seededRandom } from './random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('randomBytesFrom', () => {
  it('draws one byte per draw, deterministically', () => {
    expect(hex(randomBytesFrom(bytesRandom('00ff7f80'), 4))).toBe('00ff7f80');
    expect(randomBytesFrom(seededRandom(3), 32)).toEqual(randomBytesFrom(seededRandom(3), 32));
    expect(randomBytesFrom(seededRandom(3), 32)).not.toEqual(randomBytesFrom(seededRandom(4), 32));
    expect(randomBytesFrom(seededRandom(3), 0)).toEqual(new Uint8Array(0));
    expect(() => randomBytesFrom(seededRandom(3), -1)).toThrow(RangeError);
  });
});

describe('deriveSigningKeyPair (Ed25519)', () => {
  it('gives RFC 8032 test 1: its public key and its signature of the empty message', () => {
    const kp = deriveSigningKeyPair(bytesRandom('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
    expect(hex(kp.publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(hex(sign(null, new Uint8Array(0), kp.privateKey))).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('is deterministic: the same seeded Random gives the same keys, another seed other keys', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        fc.pre(a !== b);
        expect(deriveSigningKeyPair(seededRandom(a)).publicKey).toEqual(deriveSigningKeyPair(seededRandom(a)).publicKey);
        expect(deriveSigningKeyPair(seededRandom(a)).publicKey).not.toEqual(deriveSigningKeyPair(seededRandom(b)).publicKey);
      }),
      { numRuns: 50 },
    );
  });
});

describe('deriveAgreementKeyPair (X25519)', () => {
  it('gives the RFC 7748 section 6.1 keys and shared secret', () => {
    const alice = deriveAgreementKeyPair(bytesRandom('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const bob = deriveAgreementKeyPair(bytesRandom('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    expect(hex(alice.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(hex(bob.publicKey)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = diffieHellman({ privateKey: alice.privateKey, publicKey: bob.publicKeyObject });
    expect(hex(shared)).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });
});

describe('public keys from a peer', () => {
  it('accept 32 bytes and refuse any other length with an error value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (raw) => {
        for (const parse of [signingPublicKey, agreementPublicKey]) {
          const r = parse(raw);
          if (raw.length !== 32) expect(r).toMatchObject({ error: 'malformed' });
        }
      }),
    );
  });

  it('round-trip a derived key', () => {
    const kp = deriveSigningKeyPair(seededRandom(1));
    const back = signingPublicKey(kp.publicKey);
    expect('error' in back).toBe(false);
    expect((back as typeof kp.publicKeyObject).equals(kp.publicKeyObject)).toBe(true);
  });

  it('import a key presented again once, per curve: the same bytes as the other curve\'s key are that curve\'s own', () => {
    const kp = deriveSigningKeyPair(seededRandom(2));
    const first = signingPublicKey(Uint8Array.from(kp.publicKey));
    expect(signingPublicKey(Uint8Array.from(kp.publicKey))).toBe(first);
    const asAgreement = agreementPublicKey(kp.publicKey);
    expect(asAgreement).not.toBe(first);
    expect('error' in asAgreement ? asAgreement.error : asAgreement.asymmetricKeyType).toBe('x25519');
  });
});
