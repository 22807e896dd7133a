/**
 * The trace stream's public surface: the event vocabulary (events.ts), the writer that
 * formats and samples events (writer.ts), and sinks (sinks.ts). The network model writes
 * packet, NAT and TCP events; the host runtime adds protocol nodes' own events with `node`.
 */
export { DROP_REASONS } from './events.js';
export type { DropReason, NatEvent, PacketEvent, Proto, TcpEvent } from './events.js';
export { TraceWriter } from './writer.js';
export type { TraceLevel, TraceOptions, TraceSink } from './writer.js';
export { FileSink, MemorySink } from './sinks.js';
