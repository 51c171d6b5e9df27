const ESC = '\u001b[';

/**
 * The bytes that replace the previous frame (of `previousLineCount` lines) with `lines`:
 * cursor up to the frame's first line, clear to the end of the screen, write. Lines are cut
 * to the terminal width, because a wrapped line would throw off the count next time.
 * Unlike clearing the whole screen, this keeps the scrollback above the view intact.
 * A terminal that reports no width (0) gets whole lines.
 */
export function redrawFrame(previousLineCount: number, lines: string[], columns: number): string {
  const up = previousLineCount > 0 ? `${ESC}${previousLineCount}F` : '';
  const body = lines
    .map((line) => (columns > 0 && line.length > columns ? line.slice(0, columns) : line))
    .join('\n');
  return `${up}${ESC}0J${body}\n`;
}

export interface TerminalOutput {
  write(text: string): unknown;
  columns?: number;
}

/** A block redrawn in place, remembering how many lines it took on screen. */
export class LiveFrame {
  private lineCount = 0;

  constructor(private readonly out: TerminalOutput) {}

  draw(lines: string[]): void {
    this.out.write(redrawFrame(this.lineCount, lines, this.out.columns ?? 0));
    this.lineCount = lines.length;
  }

  /** Leaves the frame on screen as it is: the next draw starts below it. */
  release(): void {
    this.lineCount = 0;
  }

  get shown(): boolean {
    return this.lineCount > 0;
  }
}
