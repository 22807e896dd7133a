// Broken scenario files and the exact errors each must produce, shared by the in-process
// tests (test/scenario) and the built-CLI tests (test/cli). FILE stands for the file's path.

export interface BrokenCase {
  readonly name: string;
  readonly yaml: string;
  readonly errors: readonly string[];
}

export const BROKEN_CASES: readonly BrokenCase[] = [
  {
    name: 'a typo in a key, with a did-you-mean',
    yaml: 'duration: 1h\nhosts:\n  - { count: 10, regoin: world }\n',
    errors: ['FILE:3:18  hosts[0].regoin: unknown key "regoin" (did you mean "region"?)'],
  },
  {
    name: 'a value of the wrong type',
    yaml: 'duration: 1h\nhosts:\n  - count: "1o00"\n',
    errors: ['FILE:3:12  hosts[0].count: expected an integer >= 0, got "1o00"'],
  },
  {
    name: 'a negative count',
    yaml: 'duration: 1h\nhosts:\n  - count: -5\n',
    errors: ['FILE:3:12  hosts[0].count: expected an integer >= 0, got -5'],
  },
  {
    name: 'an unknown NAT preset',
    yaml: 'duration: 1h\nhosts:\n  - { count: 1 }\n  - { count: 1 }\n  - { count: 1, nat: ful-cone }\n',
    errors: [
      'FILE:5:22  hosts[2].nat: expected one of none | full-cone | restricted-cone | port-restricted-cone | symmetric, got "ful-cone" (did you mean "full-cone"?)',
    ],
  },
  {
    name: 'a bad unit',
    yaml: 'duration: 2 hours\nhosts: [{ count: 1 }]\n',
    errors: ['FILE:1:11  duration: expected a positive duration with a unit (ms, s, min, h, d; e.g. 90s, 150ms, 2h), got "2 hours"'],
  },
  {
    name: 'a number where a unit is needed',
    yaml: 'duration: 1h\nhosts: [{ count: 1 }]\nprotocol:\n  keepAliveInterval: 60\n',
    errors: ['FILE:4:22  protocol.keepAliveInterval: expected a duration with a unit (ms, s, min, h, d; e.g. 90s, 150ms, 2h), got 60'],
  },
  {
    name: 'a YAML syntax error',
    yaml: 'duration: 1h\nhosts: [{ count: 1 }\nseed: 3\n',
    errors: ['FILE:3:1  YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  },
  {
    name: 'a merge key that is not a template',
    yaml: 'duration: 1h\nhosts:\n  - <<: 5\n    count: 10\n',
    errors: ['FILE:3:9  YAML: a merge key (<<) takes a mapping, an alias of one or a list of them (<<: *template), got a plain value'],
  },
  {
    name: 'an alias of no anchor',
    yaml: 'duration: 1h\nhosts:\n  - *home\n',
    errors: ['FILE:3:5  YAML: no anchor &home before this alias'],
  },
  {
    name: 'aliases that expand without bound',
    yaml: ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`), 'duration: 1h', 'hosts: [{ count: 1 }]', ''].join('\n'),
    errors: ['FILE:1:1  YAML: Excessive alias count indicates a resource exhaustion attack'],
  },
  {
    name: 'a key written twice',
    yaml: 'duration: 1h\nhosts: [{ count: 1 }]\nduration: 2h\n',
    errors: ['FILE:3:1  YAML syntax: Map keys must be unique'],
  },
  {
    name: 'a mistyped distribution kind',
    yaml: 'duration: 1h\nhosts: [{ count: 1 }]\nchurn:\n  mode: sessions\n  session: { kind: weibul, shape: 0.6, scale: 1h }\n  offTime: 3h\n',
    errors: [
      'FILE:5:20  churn.session.kind: expected one of constant | uniform | exponential | normal | lognormal | weibull | pareto | empirical | mixture, got "weibul" (did you mean "weibull"?)',
    ],
  },
  {
    name: 'shares that do not add up',
    yaml: 'duration: 1h\nhosts:\n  - count: 1\n    firewall: { none: 90%, udp-blocked: 5% }\n',
    errors: ['FILE:4:15  hosts[0].firewall: expected shares adding up to 100%, got 95%'],
  },
  {
    name: 'a reference to an undeclared region',
    yaml: 'duration: 1h\nnetwork:\n  regions: [na, eu]\n  rttMs: [[40, 110], [110, 30]]\nhosts:\n  - { count: 1, region: europe }\n',
    errors: ['FILE:6:25  hosts[0].region: expected one of na | eu, got "europe"'],
  },
  {
    name: 'an event after the end',
    yaml: 'duration: 1h\nhosts: [{ count: 1 }]\nevents:\n  - { at: 2h, action: heal }\n',
    errors: ["FILE:4:11  events[0].at: expected a time within the scenario's duration (3600 s)"],
  },
  {
    name: 'a distribution whose tail reaches Infinity',
    yaml: 'duration: 1h\nhosts: [{ count: 1 }]\nnetwork:\n  jitter: { kind: pareto, shape: 0.0001, scale: 1ms }\n',
    errors: [
      "FILE:4:11  network.jitter: expected draws within +-1e300 ms, got a pareto whose tail reaches Infinity ms (at the random streams' resolution of 2^-32); a larger shape brings it in",
    ],
  },
  {
    name: 'a protocol value the protocol refuses',
    yaml: 'duration: 1h\nhosts: [{ count: 1 }]\nprotocol:\n  lsQueueMax: 1.5\n',
    errors: ['FILE:4:15  protocol.lsQueueMax: expected an integer >= 1, got 1.5'],
  },
  {
    name: 'a list where a mapping belongs',
    yaml: '- duration: 1h\n',
    errors: ['FILE:1:1  expected a mapping of sections (name, duration, hosts, ...) at the top level'],
  },
  {
    name: 'every error of a file at once, in reading order',
    yaml: [
      'duraton: 1h',
      'hosts:',
      '  - count: -1',
      '    nat: symetric',
      'output: { trace: ful }',
      '',
    ].join('\n'),
    errors: [
      'FILE:1:1  duration: missing, expected a positive duration with a unit (ms, s, min, h, d; e.g. 90s, 150ms, 2h)',
      'FILE:1:1  duraton: unknown key "duraton" (did you mean "duration"?)',
      'FILE:3:12  hosts[0].count: expected an integer >= 0, got -1',
      'FILE:4:10  hosts[0].nat: expected one of none | full-cone | restricted-cone | port-restricted-cone | symmetric, got "symetric" (did you mean "symmetric"?)',
      'FILE:5:18  output.trace: expected one of off | sample | full, got "ful" (did you mean "full"?)',
    ],
  },
];
