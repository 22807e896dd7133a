/**
 * Test harnesses on the real network model:
 *   Pair        two nodes on a tiny network: step, drive until idle, drop the next packet,
 *               advance time, read each node's inputs and outputs;
 *   SmallWorld  LS + bootstrap SNs + hosts of chosen NAT / firewall classes, built by sim/world
 *               from scenario text, with a trace in memory and the invariant checkers after
 *               every event;
 *   Stranger    a host with no protocol node that sends raw bytes: the attacker or broken peer.
 * Only tests and benches import this folder.
 */
export { DroppingNetwork, Pair, PairSide, type LogEntry, type PairEnv, type PairOptions, type PairSideSpec } from './pair.js';
export { RecordingNode } from './recording-node.js';
export { HOST_CLASSES, SmallWorld, smallScenarioText, type HostClass, type NodeEventRecord, type SmallHostSpec, type SmallWorldOptions, type Unreachable } from './small-world.js';
export { Stranger, STRANGER_UDP_PORT, type ConnectionScript, type Heard } from './stranger.js';
