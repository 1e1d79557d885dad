/*
 * When to spawn each gated viewer. An ffmpeg start costs ~0.1 CPU-s here, so a 2-core host
 * starts ~20 viewers a second whatever the plan asks (DESIGN.md). Viewers are therefore spawned
 * ahead of the plan, in plan order, as fast as the host starts them (at most `maxStarting`
 * spawned and not yet at the gate), and wait there until they are due.
 *
 * The run's clock starts once every gated viewer waits at the gate, so no ffmpeg start-up
 * (~0.1 CPU-s each) falls inside the measured run. An earlier rule started the run once the
 * waiting viewers "covered" the plan at the arrival rate seen so far; measured on the example
 * ramp it released 53 of 200 viewers late (p95 1.1 s): arrivals slow down sharply once the
 * first viewers play. Bounds: `maxHeld` viewers spawned and not released at once (memory; the
 * rest are spawned during the run, in plan order), and `maxPrepare` (then the run starts anyway
 * and late releases are reported).
 */

export interface PlannedStart {
  clientId: number;
  /** Offset from the run's start, ms. */
  atMs: number;
}

export interface ViewerPreparerOptions {
  /** The first start of each gated viewer, sorted by atMs. */
  starts: readonly PlannedStart[];
  /** Viewers spawned and not yet at the gate, at most. */
  maxStarting: number;
  /** Viewers spawned and not yet released (starting + held), at most. */
  maxHeld: number;
  spawn(clientId: number): void;
  now?: () => number;
}

export class ViewerPreparer {
  private next = 0;
  private readonly starting = new Set<number>();
  private readonly held = new Set<number>();
  private readonly arrivedOnce = new Set<number>();
  private readonly plannedIndex = new Map<number, number>();
  /** Gone before they were spawned (a stage stopped them first): never spawned. */
  private readonly dropped = new Set<number>();
  private readonly now: () => number;
  private firstSpawnMs: number | undefined;
  private stopped = false;

  constructor(private readonly options: ViewerPreparerOptions) {
    this.now = options.now ?? Date.now;
    for (const [index, start] of options.starts.entries()) this.plannedIndex.set(start.clientId, index);
  }

  get total(): number {
    return this.options.starts.length;
  }

  /** Viewers that reached the gate at least once. */
  get arrivedCount(): number {
    return this.arrivedOnce.size;
  }

  get heldCount(): number {
    return this.held.size;
  }

  get startingCount(): number {
    return this.starting.size;
  }

  /** Whether `clientId` is gated and not spawned yet. */
  isPending(clientId: number): boolean {
    const index = this.plannedIndex.get(clientId);
    return index !== undefined && index >= this.next;
  }

  isGated(clientId: number): boolean {
    return this.plannedIndex.has(clientId);
  }

  /** Spawns, in plan order, as many viewers as the bounds allow. */
  pump(): void {
    while (
      !this.stopped &&
      this.next < this.options.starts.length &&
      this.starting.size < this.options.maxStarting &&
      this.starting.size + this.held.size < this.options.maxHeld
    ) {
      const { clientId } = this.options.starts[this.next] as PlannedStart;
      this.next++;
      if (this.dropped.has(clientId)) continue;
      this.starting.add(clientId);
      this.firstSpawnMs ??= this.now();
      this.options.spawn(clientId);
    }
  }

  /** The viewer's first request reached the gate. */
  arrived(clientId: number): void {
    if (!this.plannedIndex.has(clientId)) return;
    this.starting.delete(clientId);
    this.held.add(clientId);
    this.arrivedOnce.add(clientId);
    this.pump();
  }

  /** The gate let it through: its memory no longer counts against maxHeld. */
  released(clientId: number): void {
    this.held.delete(clientId);
    this.starting.delete(clientId);
    this.pump();
  }

  /** The viewer is gone before release (stopped by a stage, or out of restarts). */
  forget(clientId: number): void {
    if (this.isPending(clientId)) this.dropped.add(clientId);
    this.released(clientId);
  }

  /** Viewers reaching the gate per second so far (0 before the first). */
  arrivalRatePerSecond(): number {
    if (this.firstSpawnMs === undefined || this.arrivedOnce.size === 0) return 0;
    const elapsedSeconds = Math.max(0.001, (this.now() - this.firstSpawnMs) / 1000);
    return this.arrivedOnce.size / elapsedSeconds;
  }

  /** Whether every gated viewer has reached the gate at least once. */
  get allArrived(): boolean {
    return this.arrivedOnce.size >= this.options.starts.length;
  }

  /** Whether prepare cannot make progress: the held bound is reached. */
  get heldBoundReached(): boolean {
    return this.starting.size + this.held.size >= this.options.maxHeld;
  }

  stop(): void {
    this.stopped = true;
  }
}
