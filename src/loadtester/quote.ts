const MAX_QUOTED = 80;

/**
 * Someone's input, quoted for an error message: at most 80 characters, with line breaks and
 * other control characters escaped as JSON escapes them, so that a message stays one short
 * line whatever was sent.
 */
export function quote(text: string): string {
  const cut = text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
  return JSON.stringify(cut);
}
