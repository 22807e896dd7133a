/**
 * The whole scenario language as one zod schema, assembled from the sections.
 *
 * The schema is built per file from the names the file declares (see vocabulary.ts), so that
 * references are closed choices; built without a vocabulary it accepts any name and is what
 * `sim schema` exports. Checks that span sections run after every section is valid.
 */

import { z } from 'zod';
import { choice, duration, integer, name } from './fields.js';
import { PROFILE_NAMES } from './profiles.js';
import { resolveScenario, type ParsedScenario } from './resolve.js';
import { churnSection } from './sections/churn.js';
import { compareSection, resolveCompare } from './sections/compare.js';
import { eventsSection } from './sections/events.js';
import { hostsSection } from './sections/hosts.js';
import { networkSection } from './sections/network.js';
import { outputSection } from './sections/output.js';
import { protocolFor, protocolSection } from './sections/protocol.js';
import { machinesSection } from './sections/machines.js';
import { rolesSection } from './sections/roles.js';
import { workloadSection } from './sections/workload.js';
import type { Scenario } from './types.js';
import type { Vocabulary } from './vocabulary.js';

const about = (description: string) => ({ description });

export function scenarioSchema(vocab: Vocabulary = {}) {
  return z
    .strictObject({
      name: name().optional().meta(about('Names the run directory (runs/<name>-<seed>); default: the file name.')),
      seed: integer(0).prefault(1).meta(about('Seed of every random stream of the run; `sim run --seed` overrides it.')),
      duration: duration('positive').meta(about('Simulated time the run covers.')),
      profile: choice(PROFILE_NAMES).prefault('skype-2004').meta(about('Protocol defaults by client era.')),
      network: networkSection.prefault({}).meta(about('Regions, RTTs, jitter, loss, bandwidth classes, custom NAT types.')),
      machineClasses: machinesSection.meta(about('Machine classes (CPU, memory) hosts run on, besides the built-in low, medium, high.')),
      hosts: hostsSection(vocab).meta(about('Groups of ordinary hosts.')),
      roles: rolesSection(vocab).meta(about('Login servers, bootstrap super nodes, PSTN gateways.')),
      churn: churnSection(vocab).meta(about('When hosts come and go: off, sessions or a trace.')),
      workload: workloadSection.meta(about('Calls, chat, searches and PSTN calls of online users.')),
      protocol: protocolSection.meta(about('Changes to the profile\'s protocol parameters.')),
      events: eventsSection(vocab).meta(about('Faults and changes at given times.')),
      output: outputSection.meta(about('Trace level, metrics interval, pcap.')),
      compare: compareSection.meta(
        about('One protocol parameter and 2 or more values: one run per value with the same seed, compared (e.g. relayPolicy: [random-public, lowest-rtt]).'),
      ),
      templates: z
        .record(z.string(), z.unknown())
        .optional()
        .meta(about('A home for YAML anchors (&name) reused with aliases and merge keys (<<: *name); otherwise ignored.')),
    })
    .superRefine((s, ctx) => {
      s.events.forEach((e, i) => {
        if (e.atMs > s.duration) {
          ctx.addIssue({ code: 'custom', path: ['events', i, 'at'], message: `expected a time within the scenario's duration (${s.duration / 1000} s)` });
        }
      });
    })
    .transform((s, ctx): Scenario => {
      const protocol = protocolFor(s.profile, s.protocol);
      if (!protocol.ok) {
        ctx.issues.push({ code: 'custom', path: protocol.key === '' ? ['protocol'] : ['protocol', protocol.key], message: protocol.message, input: undefined });
        return z.NEVER;
      }
      const compare = resolveCompare(s.compare, s.profile, s.protocol);
      if (!compare.ok) {
        ctx.issues.push({ code: 'custom', path: compare.path, message: compare.message, input: undefined });
        return z.NEVER;
      }
      return resolveScenario(s satisfies ParsedScenario, protocol.protocol, compare.compare);
    });
}
