/**
 * The trace stream's public surface: the event vocabulary (events.ts), the writer that
 * formats and samples events (writer.ts), and sinks (sinks.ts). The network model writes
 * packet, NAT and TCP events; the host runtime adds protocol nodes' own events with `node`.
 * The pcapng writer (pcap.ts) is a packet tap on the writer: it gets the packets the level keeps.
 */
export { DROP_REASONS } from './events.js';
export type { DropReason, NatEvent, PacketEvent, Proto, TcpEvent } from './events.js';
export { TraceWriter } from './writer.js';
export type { PacketTap, TraceLevel, TraceOptions, TraceSink } from './writer.js';
export { FileSink, MemorySink } from './sinks.js';
export { ByteFileSink, ByteMemorySink, PCAP_INTERFACES, PcapWriter } from './pcap.js';
export type { ByteSink } from './pcap.js';
