import type { RolloutObject } from '../cli/rollout-object.js';
import { progressKey, progressLine, rolloutBlock } from '../cli/rollout-view.js';
import { redrawFrame } from '../cli/terminal-frame.js';

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
  let frameLines = 0;
  let lastKey = '';
  let current: RolloutObject | undefined;
  const draw = () => {
    if (!current) return;
    const lines = [...rolloutBlock(current), ''];
    out.write(redrawFrame(frameLines, lines, out.columns ?? 0));
    frameLines = lines.length;
  };
  const clock = live ? setInterval(draw, 1000) : undefined;
  clock?.unref();
  return {
    say(line) {
      if (live && frameLines > 0) {
        out.write(redrawFrame(frameLines, [line], out.columns ?? 0));
        frameLines = 0;
        draw();
      } else {
        out.write(`${line}\n`);
      }
    },
    show(rollout) {
      current = rollout;
      if (live) {
        draw();
        return;
      }
      const key = progressKey(rollout);
      if (key === lastKey) return;
      lastKey = key;
      out.write(`${progressLine(rollout, now())}\n`);
    },
    close() {
      clearInterval(clock);
      if (live) draw();
    },
  };
}
