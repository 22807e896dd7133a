/**
 * The binary wire codec: protocol messages <-> bytes, driven by the spec table.
 *
 * A message on the wire is one type-id byte, then its fields in declaration order, each in
 * the encoding `schema.ts` gives for its kind (big-endian). Nothing else: no length prefix
 * (the transport delimits a message: one datagram, or one modelled TCP write), no version
 * byte (new messages get new ids). The real system's message layout is unpublished; this
 * format is ours, and only its byte counts matter to the measurements.
 *
 * What it abstracts: each table entry is compiled once, at load, into three functions - measure,
 * write, read - generated from the entry's fields (see "Compiling a message"), so a new table
 * entry needs no code.
 *
 * Whose fault is it (STYLE.md 5): `decode*` takes a peer's bytes and never throws - truncated
 * input, trailing bytes, an unknown type id, a bool that is not 0/1, invalid UTF-8 or an
 * oversized message come back as a `DecodeError` value. `encode*` takes our own messages and
 * throws `RangeError` on misuse (a missing field, an integer out of range, a string over its
 * u16 length, a message over `MESSAGE_BYTES_MAX`), because that is a bug in the caller.
 *
 * Canonical form: every byte string that decodes re-encodes to itself (no two encodings of one
 * message), which the tests check on random input - up to f64 NaNs, whose payload bits a
 * JavaScript number does not keep.
 *
 * Encoding reads only the fields the table declares: extra properties on a message object are
 * ignored. Decoded `bytes` fields are copies with memory of their own, never views of the input
 * or of a shared slab: a receiver keeps some for hours (a credential, a challenge nonce), and a
 * view would pin its whole slab (measured: 32 KB per kept 16-byte nonce, 180 MB of 360 MB in a
 * 20,000-host run).
 */

import type { Endpoint } from '../node.js';
import type { FieldKind, MessageSpec, MessageUnion } from './schema.js';
import { MESSAGES, type Message } from './messages.js';

/** A peer's bytes that are not a valid message (or frame, or credential). */
export interface DecodeError {
  /** A stable code, e.g. `truncated`, for counting; see `DecodeErrorCode` for the codec's. */
  readonly error: string;
  /** Where it went wrong, e.g. `probeReply.hostCache`, for traces. */
  readonly detail?: string;
}

export type DecodeErrorCode = 'empty' | 'too-long' | 'unknown-type' | 'truncated' | 'trailing-bytes' | 'bad-bool' | 'bad-utf8';

/** True for a decode error; messages and decoded frames never carry an `error` string without a `type`. */
export function isDecodeError(x: unknown): x is DecodeError {
  return typeof x === 'object' && x !== null && typeof (x as { error?: unknown }).error === 'string' && !('type' in x);
}

/**
 * Largest encoded message: the largest IPv4 UDP payload (65,535 - 20 IP - 8 UDP = 65,507)
 * less the obfuscation layer's 3-byte frame header, so any message fits one datagram.
 */
export const MESSAGE_BYTES_MAX = 65_507 - 3;

/** Largest length or count a u16 prefix can carry (str bytes, bytes length, list counts). */
export const U16_MAX = 0xffff;

const ENDPOINT_BYTES = 6;

// Kind codes: small integers so the hot loops switch on a number, not a string.
const U8 = 0;
const U16 = 1;
const U32 = 2;
const F64 = 3;
const BOOL = 4;
const STR = 5;
const BYTES = 6;
const ENDPOINT = 7;
const ENDPOINTS = 8;
const STRS = 9;

const KIND_CODES: Readonly<Record<FieldKind, number>> = {
  u8: U8,
  u16: U16,
  u32: U32,
  f64: F64,
  bool: BOOL,
  str: STR,
  bytes: BYTES,
  endpoint: ENDPOINT,
  endpoints: ENDPOINTS,
  strs: STRS,
};

/** Fixed encoded size per kind code; variable kinds give their minimum (an empty prefix). */
const KIND_MIN_BYTES = [1, 2, 4, 8, 1, 2, 2, ENDPOINT_BYTES, 2, 2];

interface CompiledField {
  readonly name: string;
  readonly code: number;
  /** `type.field`, built once for error texts. */
  readonly path: string;
}

interface CompiledMessage {
  readonly name: string;
  readonly id: number;
  /** Validates `msg`'s fields and returns its encoded size; throws RangeError on misuse. */
  readonly measure: (msg: Fields) => number;
  /** Writes a measured `msg` at `p`; returns the offset after it. */
  readonly write: (msg: Fields, out: Uint8Array, p: number) => number;
  /** Decodes `bytes[0, end)`, whose first byte is this message's id. */
  readonly read: (bytes: Uint8Array, end: number) => Fields | DecodeError;
}

/** A codec for one spec table. `M` is the message union the table describes. */
export interface Codec<M extends { readonly type: string }> {
  /**
   * Encodes `msg` into a fresh array of exactly its wire size, after `headerBytes` zero bytes
   * left for a caller's header (a frame's, obfuscation.ts). Throws RangeError on misuse.
   */
  encode(msg: M, headerBytes?: number): Uint8Array;
  /** Encodes `msg` into `target` at `offset`; returns the offset after it. Throws RangeError on misuse or if it does not fit. */
  encodeInto(msg: M, target: Uint8Array, offset: number): number;
  /** The encoded size of `msg` in bytes, without encoding it. Throws RangeError on misuse. */
  wireSize(msg: M): number;
  /**
   * Decodes one whole message, `bytes` or its first `end` bytes; any bytes give a message or a
   * `DecodeError`, never an exception.
   */
  decode(bytes: Uint8Array, end?: number): M | DecodeError;
  /** The name of type id `id`, or undefined for an id the table does not use. */
  nameOf(id: number): M['type'] | undefined;
}

/**
 * Compiles a spec table into a codec. Throws on a malformed table (ids not unique integers in
 * 1..255, an unknown field kind, a field named `type`): that is a bug in the table.
 */
export function buildCodec<T extends Readonly<Record<string, MessageSpec>>>(table: T): Codec<MessageUnion<T>> {
  return new TableCodec(table) as unknown as Codec<MessageUnion<T>>;
}

type Fields = Record<string, unknown>;

class TableCodec {
  private readonly byName = new Map<string, CompiledMessage>();
  private readonly byId: (CompiledMessage | undefined)[] = new Array(256).fill(undefined);

  constructor(table: Readonly<Record<string, MessageSpec>>) {
    for (const name of Object.keys(table)) {
      const spec = table[name];
      if (!Number.isInteger(spec.id) || spec.id < 1 || spec.id > 255) throw new RangeError(`message ${name}: id ${spec.id} is not an integer in 1..255`);
      const clash = this.byId[spec.id];
      if (clash) throw new RangeError(`message ${name}: id ${spec.id} is already used by ${clash.name}`);
      let fixedBytes = 1;
      const fields: CompiledField[] = [];
      for (const field of Object.keys(spec.fields)) {
        if (field === 'type') throw new RangeError(`message ${name}: a field may not be named "type" (it holds the message name)`);
        const kind = spec.fields[field];
        const code = Object.prototype.hasOwnProperty.call(KIND_CODES, kind) ? KIND_CODES[kind] : undefined;
        if (code === undefined) throw new RangeError(`message ${name}.${field}: unknown field kind ${String(kind)}`);
        fields.push({ name: field, code, path: `${name}.${field}` });
        const variable = code === STR || code === BYTES || code === ENDPOINTS || code === STRS;
        fixedBytes = fixedBytes < 0 || variable ? -1 : fixedBytes + KIND_MIN_BYTES[code];
      }
      const compiled = compileMessage(name, spec.id, fields, fixedBytes);
      this.byName.set(name, compiled);
      this.byId[spec.id] = compiled;
    }
  }

  encode(msg: { readonly type: string }, headerBytes = 0): Uint8Array {
    const spec = this.specOf(msg);
    const size = spec.measure(msg as unknown as Fields);
    const out = allocBytes(headerBytes + size);
    spec.write(msg as unknown as Fields, out, headerBytes);
    return out;
  }

  encodeInto(msg: { readonly type: string }, target: Uint8Array, offset: number): number {
    const spec = this.specOf(msg);
    const size = spec.measure(msg as unknown as Fields);
    if (!Number.isInteger(offset) || offset < 0 || offset + size > target.length) {
      throw new RangeError(`${spec.name}: ${size} bytes do not fit at offset ${offset} of a ${target.length}-byte buffer`);
    }
    return spec.write(msg as unknown as Fields, target, offset);
  }

  wireSize(msg: { readonly type: string }): number {
    return this.specOf(msg).measure(msg as unknown as Fields);
  }

  decode(bytes: Uint8Array, end = bytes.length): Fields | DecodeError {
    if (end === 0) return EMPTY;
    if (end > MESSAGE_BYTES_MAX) return TOO_LONG;
    const spec = this.byId[bytes[0]];
    if (!spec) return { error: 'unknown-type', detail: `type id ${bytes[0]}` };
    return spec.read(bytes, end);
  }

  nameOf(id: number): string | undefined {
    return this.byId[id]?.name;
  }

  private specOf(msg: { readonly type: string }): CompiledMessage {
    const spec = typeof msg === 'object' && msg !== null ? this.byName.get(msg.type) : undefined;
    if (!spec) throw new RangeError(`not a message of this table: type ${describe(msg === null || typeof msg !== 'object' ? msg : msg.type)}`);
    return spec;
  }
}

// ---------------------------------------------------------------------------------------------
// Compiling a message into straight-line code.
//
// An interpreter over the field list reads and writes every field by a computed name
// (`msg[f.name]`), which V8 cannot specialise, and grows each decoded object one property at a
// time. Generated per message type, every field access names a constant property and a decoded
// message is one object literal of a fixed shape. Measured against the interpreter
// (bench/crypto.ts, codecPerSec): short messages encode and decode 1.2-3 times as fast (a
// searchReply decodes at 7.9 million per second instead of 2.5); a 30-endpoint host-cache list,
// where the per-endpoint work dominates, no faster. The source is made from the spec table
// alone - field names quoted by JSON.stringify, kinds from the fixed snippets below - never
// from input bytes.

/** Per kind code: validate field `v` of `msg` and add its size (in `measure`). */
const MEASURE: readonly ((v: string, f: string) => string)[] = [
  (v, f) => `if (typeof ${v} !== 'number' || (${v} & 0xff) !== ${v}) fail(${f}, 'u8 (an integer 0..255)', ${v}); size += 1;`,
  (v, f) => `if (typeof ${v} !== 'number' || (${v} & 0xffff) !== ${v}) fail(${f}, 'u16 (an integer 0..65535)', ${v}); size += 2;`,
  (v, f) => `if (typeof ${v} !== 'number' || ${v} >>> 0 !== ${v}) fail(${f}, 'u32 (an integer 0..4294967295)', ${v}); size += 4;`,
  (v, f) => `if (typeof ${v} !== 'number') fail(${f}, 'f64 (a number)', ${v}); size += 8;`,
  (v, f) => `if (typeof ${v} !== 'boolean') fail(${f}, 'bool', ${v}); size += 1;`,
  (v, f) => `size += 2 + strBytes(${f}, ${v});`,
  (v, f) => `if (!(${v} instanceof Uint8Array)) fail(${f}, 'bytes (a Uint8Array)', ${v});
    if (${v}.length > U16_MAX) fail(${f}, 'bytes of at most ' + U16_MAX, ${v}.length + ' bytes');
    size += 2 + ${v}.length;`,
  (v, f) => `checkEndpoint(${f}, ${v}); size += ${ENDPOINT_BYTES};`,
  (v, f) => `if (!Array.isArray(${v})) fail(${f}, 'endpoints (an array)', ${v});
    if (${v}.length > U16_MAX) fail(${f}, 'at most ' + U16_MAX + ' endpoints', '' + ${v}.length);
    for (let k = 0; k < ${v}.length; k++) checkEndpoint(${f}, ${v}[k]);
    size += 2 + ${ENDPOINT_BYTES} * ${v}.length;`,
  (v, f) => `if (!Array.isArray(${v})) fail(${f}, 'strs (an array of strings)', ${v});
    if (${v}.length > U16_MAX) fail(${f}, 'at most ' + U16_MAX + ' strings', '' + ${v}.length);
    size += 2;
    for (let k = 0; k < ${v}.length; k++) size += 2 + strBytes(${f}, ${v}[k]);`,
];

/** Per kind code: write the measured field `v` at `p` (in `write`). */
const WRITE: readonly ((v: string) => string)[] = [
  (v) => `out[p++] = ${v};`,
  (v) => `out[p++] = ${v} >>> 8; out[p++] = ${v};`,
  (v) => `p = writeU32(out, p, ${v});`,
  (v) => `f64View.setFloat64(0, ${v}); for (let k = 0; k < 8; k++) out[p++] = f64View.getUint8(k);`,
  (v) => `out[p++] = ${v} ? 1 : 0;`,
  (v) => `p = writeStr(out, p, ${v});`,
  (v) => `out[p++] = ${v}.length >>> 8; out[p++] = ${v}.length; out.set(${v}, p); p += ${v}.length;`,
  (v) => `p = writeEndpoint(out, p, ${v});`,
  (v) => `out[p++] = ${v}.length >>> 8; out[p++] = ${v}.length;
    for (let k = 0; k < ${v}.length; k++) p = writeEndpoint(out, p, ${v}[k]);`,
  (v) => `out[p++] = ${v}.length >>> 8; out[p++] = ${v}.length;
    for (let k = 0; k < ${v}.length; k++) p = writeStr(out, p, ${v}[k]);`,
];

/** Per kind code: read field `v` at `p`, bounds-checked against `end` (in `read`). */
const READ: readonly ((v: string, f: string) => string)[] = [
  (v, f) => `if (p + 1 > end) return truncated(${f}); const ${v} = bytes[p]; p += 1;`,
  (v, f) => `if (p + 2 > end) return truncated(${f}); const ${v} = (bytes[p] << 8) | bytes[p + 1]; p += 2;`,
  (v, f) => `if (p + 4 > end) return truncated(${f}); const ${v} = readU32(bytes, p); p += 4;`,
  (v, f) => `if (p + 8 > end) return truncated(${f}); const ${v} = readF64(bytes, p); p += 8;`,
  (v, f) => `if (p + 1 > end) return truncated(${f});
    if (bytes[p] > 1) return { error: 'bad-bool', detail: ${f}.path + ' = ' + bytes[p] };
    const ${v} = bytes[p] === 1; p += 1;`,
  (v, f) => `if (p + 2 > end) return truncated(${f});
    const ${v}n = (bytes[p] << 8) | bytes[p + 1]; p += 2;
    if (p + ${v}n > end) return truncated(${f});
    const ${v} = readUtf8(bytes, p, p + ${v}n);
    if (${v} === undefined) return { error: 'bad-utf8', detail: ${f}.path };
    p += ${v}n;`,
  (v, f) => `if (p + 2 > end) return truncated(${f});
    const ${v}n = (bytes[p] << 8) | bytes[p + 1]; p += 2;
    if (p + ${v}n > end) return truncated(${f});
    const ${v} = copyBytes(bytes, p, ${v}n); p += ${v}n;`,
  (v, f) => `if (p + ${ENDPOINT_BYTES} > end) return truncated(${f}); const ${v} = readEndpoint(bytes, p); p += ${ENDPOINT_BYTES};`,
  // The whole list is checked up front, so a forged count cannot make us allocate first.
  (v, f) => `if (p + 2 > end) return truncated(${f});
    const ${v}n = (bytes[p] << 8) | bytes[p + 1]; p += 2;
    if (p + ${v}n * ${ENDPOINT_BYTES} > end) return truncated(${f});
    const ${v} = new Array(${v}n);
    for (let k = 0; k < ${v}n; k++, p += ${ENDPOINT_BYTES}) ${v}[k] = readEndpoint(bytes, p);`,
  (v, f) => `if (p + 2 > end) return truncated(${f});
    const ${v}n = (bytes[p] << 8) | bytes[p + 1]; p += 2;
    if (p + 2 * ${v}n > end) return truncated(${f});
    const ${v} = [];
    for (let k = 0; k < ${v}n; k++) {
      if (p + 2 > end) return truncated(${f});
      const n = (bytes[p] << 8) | bytes[p + 1]; p += 2;
      if (p + n > end) return truncated(${f});
      const s = readUtf8(bytes, p, p + n);
      if (s === undefined) return { error: 'bad-utf8', detail: ${f}.path + '[' + k + ']' };
      ${v}.push(s); p += n;
    }`,
];

function compileMessage(name: string, id: number, fields: readonly CompiledField[], fixedBytes: number): CompiledMessage {
  const values = fields.map((_, i) => `v${i}`);
  const field = (i: number): string => `F[${i}]`;
  const load = (i: number): string => `const v${i} = msg[${JSON.stringify(fields[i].name)}];`;
  const tooLong = `${JSON.stringify(`${name}: `)} + size + ' bytes encoded, over the ' + MESSAGE_BYTES_MAX + '-byte message limit'`;
  const measure = `(msg) => {
    let size = 1;
    ${fields.map((f, i) => `${load(i)} ${MEASURE[f.code](values[i], field(i))}`).join('\n    ')}
    if (size > MESSAGE_BYTES_MAX) throw new RangeError(${tooLong});
    return size;
  }`;
  const write = `(msg, out, p) => {
    out[p++] = ${id};
    ${fields.map((f, i) => `${load(i)} ${WRITE[f.code](values[i])}`).join('\n    ')}
    return p;
  }`;
  const truncatedMessage = JSON.stringify({ error: 'truncated', detail: name });
  const trailing = JSON.stringify(` after ${name}`);
  const read = `(bytes, end) => {
    ${fixedBytes >= 0 ? `if (end < ${fixedBytes}) return ${truncatedMessage};` : ''}
    let p = 1;
    ${fields.map((f, i) => READ[f.code](values[i], field(i))).join('\n    ')}
    if (p !== end) return { error: 'trailing-bytes', detail: (end - p) + ${trailing} };
    return { type: ${JSON.stringify(name)}${fields.map((f, i) => `, ${JSON.stringify(f.name)}: ${values[i]}`).join('')} };
  }`;
  // What the generated code calls, by the names it uses; F is the message's fields.
  const env = { fail, strBytes, checkEndpoint, writeU32, writeStr, writeEndpoint, f64View, truncated, readU32, readF64, readUtf8, readEndpoint, copyBytes, U16_MAX, MESSAGE_BYTES_MAX, F: fields };
  const source = `const { ${Object.keys(env).join(', ')} } = env;\nreturn { measure: ${measure}, write: ${write}, read: ${read} };`;
  const compiled = new Function('env', source)(env) as Pick<CompiledMessage, 'measure' | 'write' | 'read'>;
  return { name, id, ...compiled };
}

// ---------------------------------------------------------------------------------------------
// Byte arrays for the hot path.

const SLAB_BYTES = 32 * 1024;
const SLAB_ALLOC_BYTES_MAX = 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/**
 * A zeroed `Uint8Array` of `n` bytes, cheap for packet-sized arrays. V8 gives a typed array over
 * 64 bytes its own off-heap backing store, which costs about 200 ns against 30 ns for a view;
 * so arrays up to 1 KB are views carved from a shared 32 KB slab (as Node's Buffer pool does).
 * The price: such an array's `.buffer` is the slab (use byteOffset/byteLength, never `.buffer`
 * alone), and while any view is alive its whole slab stays in memory.
 */
export function allocBytes(n: number): Uint8Array {
  if (n > SLAB_ALLOC_BYTES_MAX) return new Uint8Array(n);
  if (slabUsed + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, n);
  slabUsed += (n + 7) & ~7; // keeps every view 8-byte aligned
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding: a message's `measure` validates every value and sizes the message, so its `write`
// needs no checks. These are their helpers.

function checkEndpoint(f: CompiledField, v: unknown): void {
  if (typeof v !== 'object' || v === null) fail(f, 'an endpoint {ip, port}', v);
  const e = v as Endpoint;
  if (typeof e.ip !== 'number' || e.ip >>> 0 !== e.ip) fail(f, 'endpoint ip (a u32)', e.ip);
  if (typeof e.port !== 'number' || (e.port & 0xffff) !== e.port) fail(f, 'endpoint port (a u16)', e.port);
}

function strBytes(f: CompiledField, v: unknown): number {
  if (typeof v !== 'string') fail(f, 'str (a string)', v);
  const n = utf8Length(v as string);
  // A lone surrogate has no UTF-8 form; encoding it as U+FFFD would not round-trip.
  if (n < 0) fail(f, 'a well-formed string', 'a string with a lone surrogate');
  if (n > U16_MAX) fail(f, `a string of at most ${U16_MAX} UTF-8 bytes`, `${n} bytes`);
  return n;
}

function fail(f: CompiledField, expected: string, got: unknown): never {
  throw new RangeError(`${f.path}: expected ${expected}, got ${describe(got)}`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing field)';
  if (typeof v === 'string') return v.length > 40 ? `"${v.slice(0, 40)}..."` : `"${v}"`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return Array.isArray(v) ? `an array of ${v.length}` : typeof v;
}

const f64View = new DataView(new ArrayBuffer(8));

function writeU32(out: Uint8Array, p: number, v: number): number {
  out[p] = v >>> 24;
  out[p + 1] = v >>> 16;
  out[p + 2] = v >>> 8;
  out[p + 3] = v;
  return p + 4;
}

function writeEndpoint(out: Uint8Array, p: number, e: Endpoint): number {
  writeU32(out, p, e.ip);
  out[p + 4] = e.port >>> 8;
  out[p + 5] = e.port;
  return p + ENDPOINT_BYTES;
}

/** Writes the u16 length then the UTF-8 bytes; the string was checked well-formed by `measure`. */
function writeStr(out: Uint8Array, p: number, s: string): number {
  const lengthAt = p;
  p += 2;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
    } else if (c < 0x800) {
      out[p++] = 0xc0 | (c >>> 6);
      out[p++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[p++] = 0xf0 | (c >>> 18);
      out[p++] = 0x80 | ((c >>> 12) & 0x3f);
      out[p++] = 0x80 | ((c >>> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    } else {
      out[p++] = 0xe0 | (c >>> 12);
      out[p++] = 0x80 | ((c >>> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    }
  }
  const n = p - lengthAt - 2;
  out[lengthAt] = n >>> 8;
  out[lengthAt + 1] = n;
  return p;
}

/** UTF-8 byte length of `s`, or -1 if it holds a lone surrogate. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1); // NaN past the end, which fails the test below
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -1;
      n += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else n += 3;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Decoding: every read is bounds-checked against the end first, so no byte string can throw.
// These are the helpers of each message's `read`.

const EMPTY: DecodeError = Object.freeze({ error: 'empty' });
const TOO_LONG: DecodeError = Object.freeze({ error: 'too-long', detail: `over ${MESSAGE_BYTES_MAX} bytes` });

// ignoreBOM: a string that starts with U+FEFF must keep it to round-trip.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function truncated(f: CompiledField): DecodeError {
  return { error: 'truncated', detail: f.path };
}

function readU32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function readF64(b: Uint8Array, p: number): number {
  for (let i = 0; i < 8; i++) f64View.setUint8(i, b[p + i]);
  return f64View.getFloat64(0);
}

/**
 * A copy of `n` bytes at `p`, so a receiver may keep it while the runtime reuses the datagram
 * buffer (and not Buffer#slice, which would alias a Buffer the live runtime passes in); not from
 * allocBytes either (see the header).
 */
function copyBytes(b: Uint8Array, p: number, n: number): Uint8Array {
  const copy = new Uint8Array(n);
  // A JS loop beats the native set() (and its subarray view) on short runs only.
  if (n <= 32) for (let i = 0; i < n; i++) copy[i] = b[p + i];
  else copy.set(b.subarray(p, p + n));
  return copy;
}

function readEndpoint(b: Uint8Array, p: number): Endpoint {
  return { ip: readU32(b, p), port: (b[p + 4] << 8) | b[p + 5] };
}

/**
 * Short ASCII strings decoded lately, by a hash of their bytes (direct-mapped: a slot holds the
 * last one to land there). Most protocol strings are user names, decoded over and over: a hit
 * costs no allocation, and the string it returns already has its hash computed for the Map
 * lookups by name that follow. It holds values only - the same string is equal, whichever
 * object - so it changes no output.
 */
const SHORT_STRINGS = new Array<string>(4096).fill('');
const SHORT_STRING_BYTES_MAX = 32;

/** Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF), or undefined. */
function readUtf8(b: Uint8Array, start: number, end: number): string | undefined {
  const n = end - start;
  // Most protocol strings are short ASCII names: skip the native call for them.
  if (n <= SHORT_STRING_BYTES_MAX) {
    let h = 0x811c9dc5;
    let i = start;
    for (; i < end && b[i] < 0x80; i++) h = Math.imul(h ^ b[i], 0x01000193);
    if (i === end) {
      const slot = (h ^ (h >>> 12)) & (SHORT_STRINGS.length - 1);
      const cached = SHORT_STRINGS[slot];
      if (cached.length === n) {
        let k = 0;
        while (k < n && cached.charCodeAt(k) === b[start + k]) k++;
        if (k === n) return cached;
      }
      let s = '';
      for (let j = start; j < end; j++) s += String.fromCharCode(b[j]);
      SHORT_STRINGS[slot] = s;
      return s;
    }
  }
  try {
    return utf8Decoder.decode(b.subarray(start, end));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The protocol's own table, compiled once at load.

const codec = buildCodec(MESSAGES);

/**
 * One type-id byte, then the fields in declaration order; after `headerBytes` zero bytes left
 * for a frame header (roles/transport.ts). Throws RangeError on misuse.
 */
export function encodeMessage(msg: Message, headerBytes = 0): Uint8Array {
  return codec.encode(msg, headerBytes);
}

/** Encodes into `target` at `offset` (e.g. after a frame header); returns the end offset. */
export function encodeMessageInto(msg: Message, target: Uint8Array, offset: number): number {
  return codec.encodeInto(msg, target, offset);
}

/** Bytes `msg` takes on the wire (before obfuscation), without encoding it. */
export function messageWireSize(msg: Message): number {
  return codec.wireSize(msg);
}

/** The name of message type id `id` (an encoded message's first byte), or 'unknown'. */
export function messageName(id: number): string {
  return codec.nameOf(id) ?? 'unknown';
}

/**
 * Decodes one whole message: `bytes`, or its first `end` bytes. Never throws: bad bytes give a
 * `DecodeError`. The message shares no memory with `bytes` (strings, byte fields and lists are
 * its own), so a reader may reuse the array for the next one.
 */
export function decodeMessage(bytes: Uint8Array, end = bytes.length): Message | DecodeError {
  if (!(Number.isInteger(end) && end >= 0 && end <= bytes.length)) throw new RangeError(`end must be an integer in 0-${bytes.length}, got ${end}`);
  return codec.decode(bytes, end);
}
