import { describe, expect, it } from 'vitest';
import { IngestQueue, MAX_WAITING_INGESTS, type IngestTask } from './ingest-queue.js';

/** A job that runs until the test finishes it, recording what happens to it in `log`. */
function controlledJob(name: string, log: string[], options: { fails?: boolean } = {}) {
  let finish: () => void = () => undefined;
  const task: IngestTask = {
    run: () =>
      new Promise<void>((resolve, reject) => {
        log.push(`start ${name}`);
        finish = () => {
          log.push(`end ${name}`);
          if (options.fails) reject(new Error(`${name} failed`));
          else resolve();
        };
      }),
    onPosition: (position) => log.push(`${name} at ${position}`),
  };
  return { task, finish: () => finish() };
}

/** Lets the queue's promise chain move on after a job finished. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function submit(queue: IngestQueue, task: IngestTask): void {
  const slot = queue.reserve();
  if (!slot) throw new Error('the line is full');
  slot.submit(task);
}

describe('the ingest queue', () => {
  it('runs jobs one at a time, first in first out, telling the waiting ones their place', async () => {
    const log: string[] = [];
    const queue = new IngestQueue();
    const [a, b, c] = ['a', 'b', 'c'].map((name) => controlledJob(name, log)) as [
      ReturnType<typeof controlledJob>,
      ReturnType<typeof controlledJob>,
      ReturnType<typeof controlledJob>
    ];
    submit(queue, a.task);
    submit(queue, b.task);
    submit(queue, c.task);
    expect(log).toEqual(['start a', 'b at 1', 'c at 2']);
    expect(queue.state).toEqual({ waiting: 2, running: true });
    a.finish();
    await settle();
    expect(log).toEqual(['start a', 'b at 1', 'c at 2', 'end a', 'c at 1', 'start b']);
    b.finish();
    await settle();
    c.finish();
    await settle();
    expect(log.slice(6)).toEqual(['end b', 'start c', 'end c']);
    expect(queue.state).toEqual({ waiting: 0, running: false });
  });

  it('a job that fails does not stop the ones after it', async () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const queue = new IngestQueue({ onError: (error) => errors.push(error) });
    const a = controlledJob('a', log, { fails: true });
    const b = controlledJob('b', log);
    const thrower: IngestTask = {
      run: () => {
        log.push('start thrower');
        throw new Error('thrown before any await');
      },
    };
    submit(queue, a.task);
    submit(queue, thrower);
    submit(queue, b.task);
    a.finish();
    await settle();
    b.finish();
    await settle();
    expect(log).toEqual(['start a', 'b at 2', 'end a', 'b at 1', 'start thrower', 'start b', 'end b']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['a failed', 'thrown before any await']);
    expect(queue.state.running).toBe(false);
  });

  it('is full with maxWaiting jobs behind the running one; places taken count until given back', async () => {
    const log: string[] = [];
    const queue = new IngestQueue({ maxWaiting: 2 });
    const running = controlledJob('running', log);
    submit(queue, running.task);
    const first = queue.reserve();
    const second = queue.reserve();
    expect(first && second).toBeTruthy();
    expect(queue.full).toBe(true);
    expect(queue.reserve()).toBeUndefined();
    // An upload refused after taking its place gives it back; a place is used once.
    second?.release();
    second?.release();
    expect(queue.full).toBe(false);
    first?.submit(controlledJob('first', log).task);
    expect(() => first?.submit(controlledJob('again', log).task)).toThrow(/already used/);
    expect(queue.state).toEqual({ waiting: 1, running: true });
    expect(queue.reserve()).toBeDefined();
    expect(queue.full).toBe(true);
  });

  it('asks refused uploads to come back when the running job is likely done', async () => {
    let now = 0;
    const log: string[] = [];
    const queue = new IngestQueue({ maxWaiting: 1, now: () => now });
    // Nothing measured yet: the default.
    expect(queue.retryAfterSeconds()).toBe(30);
    for (const ms of [40_000, 60_000]) {
      const job = controlledJob(`job ${ms}`, log);
      submit(queue, job.task);
      now += ms;
      job.finish();
      await settle();
    }
    const running = controlledJob('running', log);
    submit(queue, running.task);
    now += 20_000;
    // Jobs took 50 s on average and this one has run for 20 s.
    expect(queue.retryAfterSeconds()).toBe(30);
    now += 60_000;
    // Longer than usual: soon, but not at once.
    expect(queue.retryAfterSeconds()).toBe(5);
  });

  it('waits for eight jobs by default', () => {
    const queue = new IngestQueue();
    submit(queue, { run: () => new Promise(() => undefined) });
    for (let i = 0; i < MAX_WAITING_INGESTS; i++) expect(queue.reserve(), `place ${i + 1}`).toBeDefined();
    expect(queue.reserve()).toBeUndefined();
  });
});
