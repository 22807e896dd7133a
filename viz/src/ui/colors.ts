/**
 * One palette for every view, so a colour means the same thing everywhere: NAT classes
 * (Okabe-Ito, safe for colour-blind readers), roles, message categories, drop reasons, and
 * the two runs of a comparison.
 */

export const NAT_CLASSES = ['open', 'full-cone', 'restricted', 'port-restricted', 'symmetric', 'udp-blocked', 'unknown'] as const;

const NAT_COLORS: Record<string, string> = {
  open: '#009E73',
  'full-cone': '#56B4E9',
  restricted: '#0072B2',
  'port-restricted': '#CC79A7',
  symmetric: '#D55E00',
  'udp-blocked': '#E69F00',
  unknown: '#9a9a9a',
};

export function natColor(cls: string): string {
  return NAT_COLORS[cls] ?? NAT_COLORS.unknown;
}

/** Sorts NAT class names in the order of NAT_CLASSES, unknown names last (alphabetically). */
export function natOrder(a: string, b: string): number {
  const ia = (NAT_CLASSES as readonly string[]).indexOf(a);
  const ib = (NAT_CLASSES as readonly string[]).indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : a > b ? 1 : 0);
}

export const ROLE_COLORS = {
  loginServer: '#222222',
  bootstrapSupernode: '#5B2C83',
  supernode: '#9467BD',
  host: '#9a9a9a',
} as const;

/** Message types by what they are for (protocol/wire/messages.ts). */
const MESSAGE_CATEGORY: Record<string, string> = {
  probe: 'login',
  probeReply: 'login',
  challenge: 'login',
  authRequest: 'login',
  authAccepted: 'login',
  authBusy: 'login',
  authRefused: 'login',
  attach: 'login',
  attachAccepted: 'login',
  attachRefused: 'login',
  presence: 'login',
  presenceAck: 'login',
  keepAlive: 'keep-alive',
  keepAliveAck: 'keep-alive',
  natProbe: 'NAT test',
  natProbeReply: 'NAT test',
  natForward: 'NAT test',
  overlayJoin: 'overlay',
  overlayAccepted: 'overlay',
  overlayRefused: 'overlay',
  overlayCheck: 'overlay',
  overlayCheckReply: 'overlay',
  superNodeList: 'overlay',
  promoteRequest: 'overlay',
  superNodeLeaving: 'overlay',
  detach: 'session',
  sessionEnded: 'session',
};

export const CATEGORY_COLORS: Record<string, string> = {
  login: '#1f77b4',
  'keep-alive': '#2ca02c',
  'NAT test': '#ff7f0e',
  overlay: '#9467bd',
  session: '#8c564b',
  'TCP control': '#7f7f7f',
  other: '#bcbd22',
};

export function messageCategory(type: string): string {
  if (type.startsWith('tcp-')) return 'TCP control';
  return MESSAGE_CATEGORY[type] ?? 'other';
}

export function messageColor(type: string): string {
  return CATEGORY_COLORS[messageCategory(type)];
}

export const DROP_COLOR = '#c62828';

export const RUN_COLORS = ['#1f4e79', '#e07b00'] as const;
export const RUN_DASH = ['', '6,3'] as const;

/** Series of the timeline: one colour per metrics.csv column it draws. */
export const SERIES_COLORS: Record<string, string> = {
  online_hosts: '#1f77b4',
  up_hosts: '#aec7e8',
  logins_in_progress: '#ff7f0e',
  supernodes: '#5B2C83',
  sn_clients_mean: '#9467bd',
  sn_clients_max: '#c5b0d5',
  bytes_sent: '#2ca02c',
  msgs_sent: '#98df8a',
};

const DROP_REASON_COLORS: Record<string, string> = {
  loss: '#8c564b',
  'nat-filter': '#d62728',
  firewall: '#ff9896',
  'queue-overflow': '#e377c2',
  'dead-host': '#7f7f7f',
  'no-listener': '#bcbd22',
  partition: '#17becf',
  'no-route': '#393b79',
};

export function dropReasonColor(reason: string): string {
  return DROP_REASON_COLORS[reason] ?? '#999';
}
