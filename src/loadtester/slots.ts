/** A counted resource: at most `capacity` holders at once, taken without waiting. */
export class Slots {
  private held = 0;

  constructor(readonly capacity: number) {}

  /** Takes a slot if one is free; the caller must release it once done. */
  tryTake(): boolean {
    if (this.held >= this.capacity) return false;
    this.held += 1;
    return true;
  }

  release(): void {
    if (this.held > 0) this.held -= 1;
  }

  get used(): number {
    return this.held;
  }
}
