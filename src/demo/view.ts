import type { RolloutObject } from '../cli/rollout-object.js';
import { ProgressLines, rolloutBlock } from '../cli/rollout-view.js';
import { LiveFrame } from '../cli/terminal-frame.js';

export interface DemoOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** How the demo shows itself: story lines, and the rollout as it changes. */
export interface DemoView {
  /** A line of the story ("shipping 2.0.0"), kept above the live view. */
  say(line: string): void;
  show(rollout: RolloutObject): void;
  /** Ends the live view, leaving its last frame on screen. */
  close(): void;
}

/**
 * On a terminal, `fledge status --watch`'s block redrawn in place under the story lines;
 * elsewhere its timestamped progress lines, one per change of phase, weight or checks.
 */
export function createView(out: DemoOutput, now: () => Date = () => new Date()): DemoView {
  const live = out.isTTY === true;
  const frame = new LiveFrame(out);
  const progress = new ProgressLines((text) => out.write(text), now);
  let current: RolloutObject | undefined;
  const draw = () => {
    if (current) frame.draw([...rolloutBlock(current), '']);
  };
  const clock = live ? setInterval(draw, 1000) : undefined;
  clock?.unref();
  return {
    say(line) {
      if (live && frame.shown) {
        frame.draw([line]);
        frame.release();
        draw();
      } else {
        out.write(`${line}\n`);
      }
    },
    show(rollout) {
      current = rollout;
      if (live) draw();
      else progress.print(rollout);
    },
    close() {
      clearInterval(clock);
      if (live) draw();
    },
  };
}
