/**
 * The `sim` command line: argument parsing and help (yargs), then one command.
 *
 * yargs only parses here: it is given a callback, so it prints nothing and exits nothing; we
 * print its help or its complaint and choose the exit code (exit-codes.ts). Everything a
 * command prints goes through `io`, so tests run the CLI in-process.
 */

import yargs, { type Argv } from 'yargs';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { schemaCommand } from './commands/schema.js';
import { validateCommand } from './commands/validate.js';
import { vizCommand } from './commands/viz.js';
import { didYouMean } from '../scenario/suggest.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK } from './exit-codes.js';
import type { CliIo } from './io.js';
import { packageVersion } from './version.js';

const COMMANDS = ['run', 'validate', 'viz', 'report', 'schema'];

interface Parsed {
  readonly argv: Record<string, unknown> & { _: (string | number)[] };
  readonly output: string;
  readonly error?: Error;
  /** The options of the command the arguments named (or the global ones), as yargs knows them. */
  readonly options: readonly string[];
}

export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = await parse(args);
  if (parsed.error) {
    const first = args[0];
    const message =
      first !== undefined && !first.startsWith('-') && !COMMANDS.includes(first)
        ? `unknown command "${first}"${didYouMean(first, COMMANDS)}; the commands are ${COMMANDS.join(', ')}`
        : (unknownArguments(parsed.error.message, args, parsed.options) ?? parsed.error.message);
    io.stderr.write(`sim: ${message}\nRun "sim --help" or "sim <command> --help" for usage.\n`);
    return EXIT_BAD_INPUT;
  }
  if (parsed.output !== '') {
    io.stdout.write(`${parsed.output}\n`);
    return EXIT_OK;
  }
  try {
    return await dispatch(parsed.argv, io);
  } catch (e) {
    io.stderr.write(`sim: internal failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_INTERNAL;
  }
}

function dispatch(argv: Parsed['argv'], io: CliIo): number | Promise<number> {
  const file = String(argv.file);
  const set = ([] as unknown[]).concat(argv.set ?? []).map(String);
  const seed = argv.seed === undefined ? undefined : String(argv.seed);
  const trace = argv.trace === undefined ? undefined : String(argv.trace);
  const pcap = argv.pcap as boolean | undefined;
  switch (argv._[0]) {
    case 'run':
      return runCommand(
        { file, set, seed, trace, pcap, run: argv.run === undefined ? undefined : String(argv.run), out: argv.out as string | undefined, quiet: argv.quiet === true, check: argv.check === true,
          ...(argv['max-events'] === undefined ? {} : { maxEvents: String(argv['max-events']) }),
          ...(argv['max-wall'] === undefined ? {} : { maxWall: String(argv['max-wall']) }) },
        io,
      );
    case 'validate':
      return validateCommand({ file, set, print: argv.print === true }, io);
    case 'report':
      return reportCommand({ which: String(argv.which), quick: argv.quick === true, out: argv.out as string | undefined }, io);
    case 'viz':
      return vizCommand({ runDirs: ([] as unknown[]).concat(argv.runs ?? []).map(String), port: argv.port as number | undefined, dev: argv.dev === true }, io);
    default:
      return schemaCommand(io);
  }
}

function parse(args: readonly string[]): Promise<Parsed> {
  return new Promise((resolve) => {
    const p = parser();
    p.parse([...args], {}, (error: Error | null | undefined, argv: Parsed['argv'], output: string) =>
      resolve({ argv, output, error: error ?? undefined, options: optionNames(p) }),
    );
  });
}

/**
 * The options yargs knows after a parse: those of the command the arguments named, once its
 * builder has run. `getOptions` is in yargs (17) but not in its type declarations.
 */
function optionNames(p: Argv): string[] {
  return Object.keys((p as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
}

/**
 * yargs' "Unknown arguments: sed, quite, extra" as `unknown option --sed (did you mean
 * "--seed"?); unknown option --quite (...); unexpected argument "extra"`; undefined for any
 * other complaint. yargs lists a kebab-case option twice (max-wal, maxWal): once is enough.
 */
function unknownArguments(message: string, args: readonly string[], options: readonly string[]): string | undefined {
  const listed = /^Unknown arguments?: (.+)$/.exec(message);
  if (listed === null) return undefined;
  const names = listed[1].split(', ');
  const flags = options.map((o) => `--${o}`);
  return names
    .filter((name) => {
      const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      return kebab === name || !names.includes(kebab);
    })
    .map((name) => {
      const flag = name.length === 1 ? `-${name}` : `--${name}`;
      const typed = args.some((a) => a === flag || a.startsWith(`${flag}=`) || (name.length === 1 && /^-[^-]/.test(a) && a.includes(name)));
      return typed ? `unknown option ${flag}${didYouMean(flag, flags)}` : `unexpected argument "${name}"`;
    })
    .join('; ');
}

const SET_HELP = 'Override a value, checked like the file: path=value (repeatable)';

function withSet(y: Argv): Argv {
  return y.option('set', { type: 'string', requiresArg: true, describe: SET_HELP });
}

function parser(): Argv {
  return yargs()
    .scriptName('sim')
    .usage('$0 <command>\n\nDiscrete-event simulator of a Skype-like peer-to-peer overlay.')
    .command('run <file>', 'Run a scenario and write its run directory', (y) =>
      // --set after --seed: "--sed" is as near to either, and a tie goes to the first listed.
      withSet(
        y
          .positional('file', { type: 'string', describe: 'Scenario file (YAML)' })
          .option('seed', { type: 'string', requiresArg: true, describe: 'Seed of the run (default: the file\'s seed)' })
          .option('run', { type: 'string', requiresArg: true, describe: 'Replication index: independent runs of one scenario and seed' })
          .option('out', { type: 'string', requiresArg: true, describe: 'Run directory (default: runs/<name>-<seed>)' })
          .option('trace', { type: 'string', requiresArg: true, describe: 'Trace level: off | sample | full' })
          .option('pcap', { type: 'boolean', describe: 'Also write trace.pcapng' })
          .option('quiet', { type: 'boolean', default: false, describe: 'No progress line and no closing message' })
          .option('check', { type: 'boolean', default: false, describe: 'Check the protocol invariants at every sampling interval (summary.json: invariants)' })
          .option('max-events', { type: 'string', requiresArg: true, describe: 'Stop after about this many events (5000000, 5M), at the same event every time; output flagged incomplete' })
          .option('max-wall', { type: 'string', requiresArg: true, describe: 'Stop after this much wall time (90s, 10m, 2h); output flagged incomplete' }),
      )
        .example('$0 run scenarios/churn.yaml', 'run with the file\'s seed into runs/churn-<seed>/')
        .example('$0 run scenarios/churn.yaml --seed 7 --run 2', 'replication 2 of seed 7, into runs/churn-7-run2/')
        .example('$0 run scenarios/churn.yaml --set hosts[0].count=100000 --set protocol.cryptoMode=modelled', 'bigger, no AES')
        .example('$0 run scenarios/sn-crash.yaml --trace full --pcap --out /tmp/crash', 'full trace and pcap')
        .example('$0 run scenarios/churn.yaml --set workload.calls.ratePerHostHour=500 --max-wall 10m', 'a bold rate, bounded'),
    )
    .command('validate <file>', 'Check a scenario file and report every error', (y) =>
      withSet(y.positional('file', { type: 'string', describe: 'Scenario file (YAML)' }))
        .option('print', { type: 'boolean', default: false, describe: 'Print the scenario with every default filled, as JSON' })
        .example('$0 validate scenarios/churn.yaml', 'errors as file:line:col  path: message')
        .example('$0 validate scenarios/churn.yaml --print', 'what the file means, defaults included')
        .example('$0 validate scenarios/churn.yaml --set churn.crash=50%', 'check an override'),
    )
    .command('viz [runs..]', 'Build the web visualizer and serve it, with the given run directories, on 127.0.0.1', (y) =>
      y
        .positional('runs', { type: 'string', array: true, describe: 'Run directories (default: every finished run under ./runs); the first opens, a second is compared' })
        .option('port', { type: 'number', requiresArg: true, describe: 'Port on 127.0.0.1 (default: a free one)' })
        .option('dev', { type: 'boolean', default: false, describe: 'Serve viz/ from source with Vite\'s dev server (reloads on edit)' })
        .example('$0 viz runs/churn-1', 'open one run')
        .example('$0 viz runs/churn-1 runs/churn-2', 'open churn-1, compare with churn-2'),
    )
    .command('report <which>', 'Regenerate a report that sets the simulator beside published measurements', (y) =>
      y
        .positional('which', { type: 'string', choices: ['baset'], describe: 'baset: Baset & Schulzrinne 2004 (PROTOCOL.md BS ids)' })
        .option('quick', { type: 'boolean', default: false, describe: '3 repetitions instead of 30 (for CI)' })
        .option('out', { type: 'string', requiresArg: true, describe: 'Output directory (default: reports/baset)' })
        .example('$0 report baset', 'reports/baset/report.md, results.json, figures/*.svg'),
    )
    .command('schema', 'Print the JSON Schema of scenario files, for editors', (y) =>
      y.example('$0 schema > scenario.schema.json', 'then: # yaml-language-server: $schema=./scenario.schema.json'),
    )
    .demandCommand(1, `Name a command: ${COMMANDS.join(', ')}`)
    .strict()
    .help()
    .version(packageVersion())
    .wrap(120)
    .epilogue(
      'Exit status: 0 success, 2 bad input (file:line:col and what was expected), 1 internal failure (with seed and replay command), 3 stopped by --max-events or --max-wall, 130 stopped by Ctrl-C.',
    );
}
