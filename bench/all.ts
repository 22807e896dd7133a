/**
 * `npm run bench`: runs every registered benchmark, one child process at a time (so one
 * does not warm, fill or fragment the heap of the next), and passes their JSON lines through.
 *
 * To add a benchmark, write bench/NAME.ts printing JSON lines and add [NAME, args] below.
 * Exits 1 if any benchmark failed, after running the rest.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benchmarks: readonly (readonly [name: string, args: readonly string[]])[] = [
  // 100 thousand pending events: the pending set fits in the caches. Three pairs of runs, for
  // a ratio the machine's drift disturbs less.
  ['phold', ['10000', '10', '10000000', '--repeat=3']],
  // 10 million pending events: memory-bound.
  ['phold', ['1000000', '10', '10000000', '--repeat=3']],
  // 100,000 hosts, half behind NATs of mixed types, random UDP through NAT, latency and loss.
  ['net', []],
  // Codec and obfuscation layer: frames per second, real AES and modelled.
  ['crypto', []],
  // Login time and messages per login for the three Baset & Schulzrinne setups (30 logins each).
  ['login-figures', []],
  // sim run of scenarios/churn.yaml at 100,000 hosts for one simulated hour: real, modelled and
  // real-without-memo crypto, each in its own child.
  ['churn', []],
];

let failed = 0;
for (const [name, args] of benchmarks) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const result = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench ${name} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
