/**
 * The scenario language as JSON Schema (draft 2020-12), for editors: with the YAML language
 * server, a first line `# yaml-language-server: $schema=./scenario.schema.json` gives
 * completion and checking while typing.
 *
 * It describes what a file may contain, values with units as text patterns. Names that refer
 * to declarations (regions, NAT types, classes, groups) are any name here; `sim validate`
 * checks them against the file.
 */

import { z } from 'zod';
import { scenarioSchema } from './schema.js';

export function scenarioJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(scenarioSchema(), { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });
  return {
    ...generated,
    title: 'supernode-sim scenario',
    description: 'A scenario for `sim run`: network, hosts, churn, workload, protocol parameters, events and outputs.',
  };
}
