const ESC = '\u001b[';

/**
 * The bytes that replace the previous frame (of `previousLineCount` lines) with `lines`:
 * cursor up to the frame's first line, clear to the end of the screen, write. Lines are cut
 * to the terminal width, because a wrapped line would throw off the count next time.
 * Unlike clearing the whole screen, this keeps the scrollback above the view intact.
 */
export function redrawFrame(previousLineCount: number, lines: string[], columns: number): string {
  const up = previousLineCount > 0 ? `${ESC}${previousLineCount}F` : '';
  const width = Math.max(1, columns);
  const body = lines.map((line) => (line.length > width ? line.slice(0, width) : line)).join('\n');
  return `${up}${ESC}0J${body}\n`;
}
