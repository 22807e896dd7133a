/** `sim validate FILE`: load and check a scenario; with --print, show it with every default filled. */

import { describeChurn, describeScale, describeScenario, describeWorkload } from '../describe.js';
import { EXIT_BAD_INPUT, EXIT_OK } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { errorReport, loadFromArgs, type ScenarioArgs } from '../scenario-args.js';

export interface ValidateArgs extends ScenarioArgs {
  readonly print: boolean;
}

export function validateCommand(args: ValidateArgs, io: CliIo): number {
  const loaded = loadFromArgs(args);
  if (!loaded.ok) {
    io.stderr.write(errorReport(loaded.errors));
    return EXIT_BAD_INPUT;
  }
  if (args.print) {
    io.stdout.write(`${JSON.stringify(loaded.scenario, null, 2)}\n`);
    return EXIT_OK;
  }
  const s = loaded.scenario;
  const lines = [describeWorkload(s), describeChurn(s), describeScale(s)].filter((l) => l !== undefined);
  io.stdout.write(`${args.file}: ok - ${describeScenario(s)}\n${lines.map((l) => `  ${l}\n`).join('')}`);
  return EXIT_OK;
}
