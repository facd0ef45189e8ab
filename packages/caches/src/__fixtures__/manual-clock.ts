/** A clock that only moves when told. */
export class ManualClock {
  constructor(public time: number = Date.UTC(2026, 0, 15, 12, 0, 0)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
