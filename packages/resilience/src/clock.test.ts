import { describe, expect, it } from 'vitest';
import { createManualClock, systemClock } from './clock.js';

describe('createManualClock', () => {
  it('stands still until advanced, then wakes sleeps in due order', async () => {
    const clock = createManualClock({ start: 1000 });
    const woke: string[] = [];
    void clock.sleep(300).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(100).then(() => woke.push(`a@${clock.now()}`));
    expect(clock.pendingTimers()).toEqual([1100, 1300]);
    await clock.advance(99);
    expect(woke).toEqual([]);
    await clock.advance(1);
    expect(woke).toEqual(['a@1100']);
    await clock.advance(500);
    expect(woke).toEqual(['a@1100', 'b@1300']);
    expect(clock.now()).toBe(1600);
  });

  it('wakes sleeps that are scheduled by woken code within the same advance', async () => {
    const clock = createManualClock({ start: 0 });
    const woke: number[] = [];
    void (async () => {
      await clock.sleep(10);
      woke.push(clock.now());
      await clock.sleep(10);
      woke.push(clock.now());
    })();
    await clock.advance(25);
    expect(woke).toEqual([10, 20]);
  });

  it('rejects a sleep with the abort reason and forgets its timer', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pendingTimers()).toEqual([]);
  });

  it('run() jumps over waits until the promise settles', async () => {
    const clock = createManualClock({ start: 0 });
    const work = (async () => {
      await clock.sleep(5_000);
      await clock.sleep(7_000);
      return clock.now();
    })();
    await expect(clock.run(work)).resolves.toBe(12_000);
  });

  it('run() fails when the promise waits on something other than the clock', async () => {
    const clock = createManualClock();
    await expect(clock.run(new Promise(() => undefined))).rejects.toThrow(/no sleep is scheduled/);
  });
});

describe('systemClock', () => {
  it('rejects at once for an already-aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already'));
    await expect(systemClock.sleep(10_000, controller.signal)).rejects.toThrow('already');
  });
});
