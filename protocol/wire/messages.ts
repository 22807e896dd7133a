/**
 * Every message of the protocol, described once as data (see `schema.ts` for field kinds).
 *
 * The type id is what travels on the wire; the name is what traces and traffic accounting
 * use. Ids are stable: append new messages, never renumber.
 */

import type { MessageUnion } from './schema.js';

export const MESSAGES = {
  /** UDP, host -> SN: is this SN alive? (BS-9 step 1) */
  probe: { id: 1, fields: { nonce: 'u32' } },
  /** UDP, SN -> host: yes, and here are other SNs for the host cache (OT-2). */
  probeReply: { id: 2, fields: { nonce: 'u32', hostCache: 'endpoints' } },
} as const;

export type MessageTable = typeof MESSAGES;
export type MessageName = keyof MessageTable;
export type Message = MessageUnion<MessageTable>;
export type MessageOf<N extends MessageName> = Extract<Message, { type: N }>;
