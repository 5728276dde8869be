/**
 * The oracle's notion of "now". Production uses the wall clock; simulations run a scaled clock that
 * equals the wall clock at `epochMs` and runs `speed` times faster after it. The oracle and the
 * simulator agree when both are given the same epoch and speed.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function scaledClock(epochMs: number, speed: number): Clock {
  if (speed === 1) return systemClock;
  return { now: () => epochMs + (Date.now() - epochMs) * speed };
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: number) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  set(ms: number): void {
    this.#now = ms;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}
