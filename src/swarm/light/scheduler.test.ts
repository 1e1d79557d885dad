import { describe, expect, it } from 'vitest';
import { LightScheduler } from './scheduler.js';
import { FakeClock } from './test/fake-clock.js';

function setup() {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const scheduler = new LightScheduler({ clock, onTaskError: (error) => errors.push(error) });
  return { clock, scheduler, errors };
}

describe('LightScheduler', () => {
  it('runs tasks in due order, equal due times in the order scheduled, on one timer', () => {
    const { clock, scheduler } = setup();
    const ran: string[] = [];
    for (const [dueMs, name] of [
      [300, 'c'],
      [100, 'a'],
      [200, 'b1'],
      [200, 'b2'],
      [50, 'first'],
    ] as const)
      scheduler.at(dueMs, () => ran.push(name));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1000);
    expect(ran).toEqual(['first', 'a', 'b1', 'b2', 'c']);
    expect(clock.pendingTimers).toBe(0);
    expect(scheduler.pending).toBe(0);
  });

  it('does not run a cancelled task, and re-arms for the next one', () => {
    const { clock, scheduler } = setup();
    const ran: number[] = [];
    const first = scheduler.at(10, () => ran.push(10));
    scheduler.at(20, () => ran.push(20));
    first.cancel();
    clock.advance(15);
    expect(ran).toEqual([]);
    clock.advance(25);
    expect(ran).toEqual([20]);
  });

  it('records how late each task ran (due → run), overall and per window', () => {
    const { clock, scheduler } = setup();
    scheduler.at(100, () => {});
    scheduler.at(100, () => {});
    clock.advance(200, 7);
    expect(scheduler.latenessMs()).toMatchObject({ count: 2, min: 7, max: 7 });
    expect(scheduler.latenessMs(true)).toMatchObject({ count: 2, p99: 7 });
    scheduler.at(300, () => {});
    clock.advance(400, 2);
    expect(scheduler.latenessMs(true)).toMatchObject({ count: 1, max: 2 });
    expect(scheduler.latenessMs()).toMatchObject({ count: 3, max: 7 });
  });

  it('runs, in the same turn, a task scheduled at a past time by a running task', () => {
    const { clock, scheduler } = setup();
    const ran: string[] = [];
    scheduler.at(10, () => {
      ran.push('outer');
      scheduler.at(5, () => ran.push('inner'));
    });
    clock.advance(10);
    expect(ran).toEqual(['outer', 'inner']);
  });

  it('arms one timer however many tasks running tasks schedule', () => {
    const { clock, scheduler } = setup();
    for (let index = 0; index < 100; index++) scheduler.at(10, () => scheduler.after(1000, () => {}));
    const before = clock.armed;
    clock.advance(10);
    expect(clock.armed - before).toBe(1);
    expect(clock.pendingTimers).toBe(1);
  });

  it('goes on after a task throws, reporting the error', () => {
    const { clock, scheduler, errors } = setup();
    const ran: number[] = [];
    scheduler.at(1, () => {
      throw new Error('viewer bug');
    });
    scheduler.at(2, () => ran.push(2));
    clock.advance(5);
    expect(ran).toEqual([2]);
    expect(errors).toHaveLength(1);
  });

  it('drops every task on stop, and takes none after', () => {
    const { clock, scheduler } = setup();
    const ran: number[] = [];
    scheduler.at(10, () => ran.push(1));
    scheduler.stop();
    scheduler.at(20, () => ran.push(2));
    clock.advance(100);
    expect(ran).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('re-arms when a timer fires early (Node counts whole milliseconds)', () => {
    const { clock, scheduler } = setup();
    const ran: number[] = [];
    scheduler.at(10, () => ran.push(clock.now()));
    // The timer fires 3 ms early: the task is not due yet and waits for a new timer.
    clock.advance(7, -3);
    expect(ran).toEqual([]);
    clock.advance(20);
    expect(ran).toEqual([10]);
  });
});
