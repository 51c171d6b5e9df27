/** Text as a chat service should get it: printable, and cut to a length it accepts. */
export function bounded(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes.
  const printable = text.replace(/[\u0000-\u0009\u000b-\u001f\u007f]+/g, ' ');
  const characters = [...printable];
  return characters.length <= max ? printable : `${characters.slice(0, max - 1).join('')}…`;
}

/** For services that read &, < and > as markup (Slack's mrkdwn, Google Chat's HTML). */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
