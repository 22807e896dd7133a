/**
 * The protocol's cryptography, all on `node:crypto` and all replayable from a node's Random.
 *
 *   keys.ts         Ed25519 identity and X25519 agreement key pairs derived from a Random
 *   credentials.ts  login-server-signed credentials (BS-8) and challenge signatures
 *   passwords.ts    the login server's salted, work-factored password records
 *   media.ts        end-to-end AES-256 media keys and frames (BS-30)
 *   keystream.ts    AES-CTR from one long-lived cipher: the per-packet engine under the
 *                   obfuscation layer (wire/obfuscation.ts) and media frames
 *
 * `CryptoMode` ('real' | 'modelled') is PROTOCOL.md's switch: modelled keeps byte counts and
 * layouts but skips per-packet cipher work (obfuscation, media). Credentials, passwords and
 * key agreement always run real: they happen once per login or call.
 */
export { type CryptoMode, checkCryptoMode } from './keystream.js';
export {
  type KeyPair,
  PUBLIC_KEY_BYTES,
  SEED_BYTES,
  agreementPublicKey,
  deriveAgreementKeyPair,
  deriveSigningKeyPair,
  randomBytesFrom,
  signingPublicKey,
} from './keys.js';
export {
  type Credential,
  type CredentialCheck,
  type CredentialFailure,
  CREDENTIAL_VERSION,
  NAME_BYTES_MAX,
  SIGNATURE_BYTES,
  decodeCredential,
  encodeCredential,
  issueCredential,
  signChallenge,
  verifyChallenge,
  verifyCredential,
} from './credentials.js';
export { type PasswordRecord, HASH_BYTES, SALT_BYTES, hashPassword, verifyPassword } from './passwords.js';
export { type MediaDirection, MEDIA_KEY_BYTES, MediaKey, agreeMediaKey, decryptMedia, encryptMedia } from './media.js';
