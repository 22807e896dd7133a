/**
 * The `machineClasses` section: the computers hosts run on, as the super-node eligibility
 * rule reads them (CPU and memory; BS-1). Groups refer to a class by name.
 *
 *   machineClasses:
 *     kiosk: { cpuMhz: 300, memoryMb: 64 }
 *
 * Built-in classes, desktop PCs of 2004: low, medium, high. A file may redefine them.
 */

import { z } from 'zod';
import { integer, name } from '../fields.js';
import type { MachineClass } from '../types.js';

type Machine = Omit<MachineClass, 'name'>;

export const BUILT_IN_MACHINE_CLASSES: Readonly<Record<string, Machine>> = {
  low: { cpuMhz: 500, memoryMb: 128 },
  medium: { cpuMhz: 1_500, memoryMb: 512 },
  high: { cpuMhz: 3_000, memoryMb: 1_024 },
};

export const DEFAULT_MACHINE_CLASS = 'medium';

export const machinesSection = z
  .record(name(), z.strictObject({ cpuMhz: integer(1), memoryMb: integer(1) }))
  .prefault({})
  .transform((declared): Record<string, Machine> => ({ ...BUILT_IN_MACHINE_CLASSES, ...declared }));
