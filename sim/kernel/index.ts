/**
 * The simulation kernel's public surface: simulated time, the pending-event set, and
 * randomness. Everything in a run that happens "later" is an event in the Kernel; everything
 * random is drawn from a named stream of RngStreams, usually through a sampler compiled from a
 * Distribution spec. The kernel knows nothing of the network or the protocol.
 */
export { Kernel } from './kernel.js';
export type { EventHandler, EventId } from './kernel.js';
export { RngStreams, streamSeed } from './rng.js';
export type { Rng } from './rng.js';
export { DRAW_LIMIT, DRAW_LIMIT_TEXT, drawRange, makeSampler, meanOf } from './distributions.js';
export type { Distribution, MixtureComponent, Sampler } from './distributions.js';
