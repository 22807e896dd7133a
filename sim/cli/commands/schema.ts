/** `sim schema`: the scenario language as JSON Schema, for editors. */

import { scenarioJsonSchema } from '../../scenario/index.js';
import { EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export function schemaCommand(io: CliIo): number {
  io.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  return EXIT_OK;
}
