// Builders shared by the role tests: a login server, bootstrap super nodes and hosts on the
// in-memory Net of harness.ts, plus helpers to speak the wire format by hand.
import { deriveSigningKeyPair } from '../../../protocol/crypto/keys.js';
import type { ConnId, Ctx, Endpoint, Output } from '../../../protocol/node.js';
import { makeParams, type ProtocolParams } from '../../../protocol/params.js';
import type { HostConfig } from '../../../protocol/roles/election.js';
import { LoginServerNode, type Account } from '../../../protocol/roles/login-server.js';
import { HostNode, type HostDisk } from '../../../protocol/roles/ordinary-host.js';
import { sharedObfuscator, Transport } from '../../../protocol/roles/transport.js';
import type { Message } from '../../../protocol/wire/messages.js';
import { ep, ip, Net, SeededRandom } from './harness.js';

export const LS_KEYS = deriveSigningKeyPair(new SeededRandom(4242));
export const LS_ENDPOINT = ep('9.9.9.9:33033');

/** A machine that passes every SN threshold. */
export const STRONG: HostConfig = { uplinkBitsPerSec: 10_000_000, downlinkBitsPerSec: 10_000_000, cpuMhz: 3000, memoryMb: 2048 };
/** A machine below the bandwidth floor. */
export const WEAK: HostConfig = { uplinkBitsPerSec: 64_000, downlinkBitsPerSec: 256_000, cpuMhz: 3000, memoryMb: 2048 };

export function testParams(overrides: Partial<ProtocolParams> = {}): ProtocolParams {
  return makeParams({ passwordWorkFactor: 1, ...overrides });
}

/** Bootstrap SN endpoints 1.0.0.1:33033, 1.0.0.2:33033, ... */
export function bootstrapList(n: number): Endpoint[] {
  return Array.from({ length: n }, (_, i) => ep(`1.0.0.${i + 1}:33033`));
}

export interface WorldOptions {
  readonly params?: Partial<ProtocolParams>;
  /** Bootstrap SNs started (default 3). */
  readonly superNodes?: number;
  /** Bootstrap entries hosts know (default: the started SNs). */
  readonly bootstrap?: Endpoint[];
  readonly accounts?: Account[];
}

export class World {
  readonly net = new Net();
  readonly params: ProtocolParams;
  readonly ls: LoginServerNode;
  readonly bootstrap: Endpoint[];
  readonly hosts = new Map<string, HostNode>();
  readonly disks = new Map<string, HostDisk>();

  constructor(o: WorldOptions = {}) {
    this.params = testParams(o.params);
    const n = o.superNodes ?? 3;
    this.bootstrap = o.bootstrap ?? bootstrapList(n);
    const accounts = o.accounts ?? ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((name) => ({ name, password: `${name}-pw` }));
    this.ls = new LoginServerNode({ params: this.params, privateKey: LS_KEYS.privateKey, accounts });
    this.net.add('ls', '9.9.9.9', this.ls, 1);
    this.net.start('ls');
    for (let i = 1; i <= n; i++) this.addHost(`sn${i}`, `1.0.0.${i}`, { bootstrapSuperNode: true, port: 33033 });
  }

  addHost(name: string, address: string, o: { config?: HostConfig; port?: number; bootstrapSuperNode?: boolean; disk?: HostDisk; params?: ProtocolParams; start?: boolean } = {}): HostNode {
    const disk = o.disk ?? this.disks.get(name) ?? {};
    this.disks.set(name, disk);
    const host = new HostNode({
      params: o.params ?? this.params,
      disk,
      localIp: ip(address),
      port: o.port ?? 5000 + this.hosts.size,
      bootstrap: this.bootstrap,
      loginServer: LS_ENDPOINT,
      lsPublicKey: LS_KEYS.publicKey,
      config: o.config ?? STRONG,
      bootstrapSuperNode: o.bootstrapSuperNode,
    });
    this.hosts.set(name, host);
    this.net.add(name, address, host, 100 + this.hosts.size);
    if (o.start !== false) this.net.start(name);
    return host;
  }

  host(name: string): HostNode {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  login(name: string, user = name, password = `${user}-pw`): void {
    this.net.act(name, { type: 'login', name: user, password });
  }
}

/** Speaks the wire format by hand (a fake peer). */
export class Wire {
  private readonly transport = new Transport(sharedObfuscator('real'));
  private readonly ctx: Ctx = { now: 0, rng: new SeededRandom(3), out: [] };

  bytes(msg: Message): Uint8Array {
    this.ctx.out.length = 0;
    this.transport.write(this.ctx, 1 as ConnId, msg);
    const o = this.ctx.out[0];
    if (o.kind !== 'write') throw new Error('no write');
    return o.bytes;
  }

  /** The message in a write or sendDatagram output. */
  read(o: Output): Message {
    if (o.kind !== 'write' && o.kind !== 'sendDatagram') throw new Error(`not a packet: ${o.kind}`);
    this.ctx.out.length = 0;
    const msg = this.transport.readData(this.ctx, o.bytes, 0);
    if (!msg) throw new Error('undecodable output');
    return msg;
  }
}
