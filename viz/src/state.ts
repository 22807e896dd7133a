/**
 * What the views share: the brushed time window, the traffic filter, the chosen host and
 * login. A view changes it through the setters and hears about changes it did not make
 * through the listeners (called synchronously, in the order they subscribed).
 */

export type Topic = 'window' | 'filter' | 'host' | 'login';

export interface Filter {
  /** Message type name, '' for all. */
  readonly msg: string;
  readonly proto: '' | 'udp' | 'tcp';
  /** Host id, -1 for all. */
  readonly host: number;
}

export class ViewState {
  /** [t0, t1) in simulated ms; null: the whole run. */
  window: readonly [number, number] | null = null;
  filter: Filter = { msg: '', proto: '', host: -1 };
  host = -1;
  /** Index of the chosen login among the host's logins. */
  login = -1;
  private readonly listeners = new Map<Topic, { view: string; listener: (source: unknown) => void }[]>();
  /** Time each view spent in its listeners, per view name (ms, summed over calls). */
  readonly viewMs: Record<string, number> = {};

  constructor(readonly endMs: number) {}

  /** The window, or the whole run. */
  span(): readonly [number, number] {
    return this.window ?? [0, this.endMs];
  }

  /** `view` names the listener in `viewMs`. */
  on(topic: Topic, view: string, listener: (source: unknown) => void): void {
    const list = this.listeners.get(topic) ?? [];
    list.push({ view, listener });
    this.listeners.set(topic, list);
  }

  setWindow(w: readonly [number, number] | null, source?: unknown): void {
    this.window = w;
    this.emit('window', source);
  }

  setFilter(f: Partial<Filter>, source?: unknown): void {
    this.filter = { ...this.filter, ...f };
    this.emit('filter', source);
  }

  setHost(host: number, login = -1, source?: unknown): void {
    this.host = host;
    this.login = login;
    this.emit('host', source);
  }

  setLogin(login: number, source?: unknown): void {
    this.login = login;
    this.emit('login', source);
  }

  private emit(topic: Topic, source: unknown): void {
    for (const { view, listener } of this.listeners.get(topic) ?? []) {
      const t0 = performance.now();
      listener(source);
      this.viewMs[view] = (this.viewMs[view] ?? 0) + performance.now() - t0;
    }
  }
}
