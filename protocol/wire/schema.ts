/**
 * Field kinds of the wire format, and the types they decode to.
 *
 * Every message is described once, as data, in `messages.ts`: a numeric type id and an
 * ordered record of fields. The codec walks that description, the TypeScript message types
 * are derived from it, and property tests generate arbitrary messages from it - so adding a
 * message is one table entry.
 *
 * Encodings (all big-endian):
 *   u8, u16, u32   unsigned integers of that width
 *   f64            IEEE-754 double
 *   bool           one byte, 0 or 1 (anything else is a decode error)
 *   str            u16 byte length + UTF-8 (invalid UTF-8 is a decode error)
 *   bytes          u16 length + raw bytes
 *   endpoint       u32 address + u16 port
 *   endpoints      u16 count + that many endpoints
 *   strs           u16 count + that many str
 */

import type { Endpoint } from '../node.js';

export type FieldKind = 'u8' | 'u16' | 'u32' | 'f64' | 'bool' | 'str' | 'bytes' | 'endpoint' | 'endpoints' | 'strs';

export type FieldValue<K extends FieldKind> = K extends 'u8' | 'u16' | 'u32' | 'f64'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'str'
      ? string
      : K extends 'bytes'
        ? Uint8Array
        : K extends 'endpoint'
          ? Endpoint
          : K extends 'endpoints'
            ? readonly Endpoint[]
            : K extends 'strs'
              ? readonly string[]
              : never;

export interface MessageSpec {
  /** Type id on the wire, unique, 1..255. */
  readonly id: number;
  readonly fields: Readonly<Record<string, FieldKind>>;
}

/** The message type a spec table entry describes: `{ type: name, ...fields }`. */
export type MessageFrom<Name extends string, S extends MessageSpec> = { type: Name } & {
  -readonly [F in keyof S['fields']]: FieldValue<S['fields'][F]>;
};

/** The union of all messages of a table. */
export type MessageUnion<T extends Readonly<Record<string, MessageSpec>>> = {
  [N in keyof T & string]: MessageFrom<N, T[N]>;
}[keyof T & string];
