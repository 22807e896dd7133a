/** `sim validate FILE`: load and check a scenario; with --print, show it with every default filled. */

import { describeChurn, describeScenario, describeWorkload } from '../describe.js';
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
  const churn = describeChurn(loaded.scenario);
  io.stdout.write(`${args.file}: ok - ${describeScenario(loaded.scenario)}\n  ${describeWorkload(loaded.scenario)}\n${churn ? `  ${churn}\n` : ''}`);
  return EXIT_OK;
}
