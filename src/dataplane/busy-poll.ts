/**
 * Busy polling after relayed traffic (config `frontDoor.busyPollMicros`, default 200 µs): for that
 * long after the last packet went through any endpoint, the event loop keeps polling its sockets
 * (a chain of `setImmediate`, so libuv polls with a zero timeout) instead of sleeping. Only packets
 * smaller than a TLS record count (relay.ts): bulk transfers are bound by throughput, not wake-ups.
 *
 * Why: a relay adds two wake-ups to every round trip (the engine's answer, the client's next
 * command), and waking a process on an idle vCPU is the dominant cost of a round trip on virtual
 * machines whose idle vCPUs halt. Measured here (docs/benchmarks.md): a C ping-pong between two
 * processes takes 68–83 µs across vCPUs and 14 µs on one; `SELECT 1` through the endpoint +105–134 µs
 * over direct without busy polling, +11–26 µs with it. The engine's answer and a client's next
 * command usually arrive within the window, so neither has to wake the front door.
 *
 * Cost: CPU while such traffic flows (the loop polls through the gaps between packets; at most one
 * core, the event loop's) and nothing when idle: polling stops one window after the last packet. Same
 * idea as Linux's per-socket `busy_poll` and HAProxy's `busy-polling`, bounded to a window after
 * traffic. `0` turns it off.
 */
export class BusyPoller {
  private until = 0;
  private polling = false;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly schedule: (f: () => void) => void = (f) => setImmediate(f),
  ) {}

  /** Whether the loop is being kept polling right now. */
  get active(): boolean {
    return this.polling;
  }

  /** Traffic went through: keep polling until one window from now. */
  touch(): void {
    if (this.windowMs <= 0) return;
    this.until = this.now() + this.windowMs;
    if (this.polling) return;
    this.polling = true;
    this.schedule(this.tick);
  }

  private readonly tick = (): void => {
    if (this.now() < this.until) this.schedule(this.tick);
    else this.polling = false;
  };
}
