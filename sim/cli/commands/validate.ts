/** `sim validate FILE`: load and check a scenario; with --print, show it with every default filled. */

import { describeScenario, describeWorkload } from '../describe.js';
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
  io.stdout.write(
    args.print ? `${JSON.stringify(loaded.scenario, null, 2)}\n` : `${args.file}: ok - ${describeScenario(loaded.scenario)}\n  ${describeWorkload(loaded.scenario)}\n`,
  );
  return EXIT_OK;
}
