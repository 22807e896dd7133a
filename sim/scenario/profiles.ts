/**
 * Protocol profiles a scenario starts from. The numbers live in protocol/params.ts
 * (`SKYPE_2004`, `SKYPE_2006`, with their sources); this file names them for the scenario.
 */

import { SKYPE_2004, SKYPE_2006 } from '../../protocol/params.js';
import type { ProfileName, ProtocolParams } from './types.js';

export const PROFILE_NAMES = ['skype-2004', 'skype-2006'] as const satisfies readonly ProfileName[];

export const PROFILES: Readonly<Record<ProfileName, ProtocolParams>> = {
  'skype-2004': SKYPE_2004,
  'skype-2006': SKYPE_2006,
};
