import { type AlertMessage, type Render, summaryOf, titleOf } from '../message.js';
import type { Severity } from '../severity.js';
import { escapeMarkup } from '../text.js';

const colors: Record<Severity, string> = { info: 'good', warn: 'warning', error: 'danger' };

/** Slack's section blocks take at most 10 fields. */
const MAX_FIELDS = 10;

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });

/**
 * A Slack incoming-webhook message: `text` for notifications, and Block Kit blocks in a
 * coloured attachment (the colour says the severity). Slack reads &, < and > as markup, so
 * they are escaped. `channel`, `username` and `icon_emoji` are honoured by legacy webhooks and
 * ignored by app webhooks, which post where they were created.
 */
export const renderSlack: Render = (message, settings) => ({
  url: settings.address,
  body: {
    channel: settings.channel,
    username: settings.username,
    icon_emoji: ':rocket:',
    text: escapeMarkup(summaryOf(message)),
    attachments: [
      {
        color: colors[message.severity],
        blocks: [
          {
            type: 'section',
            text: mrkdwn(`*${escapeMarkup(titleOf(message))}*\n${escapeMarkup(message.text)}`),
          },
          {
            type: 'section',
            fields: message.fields
              .slice(0, MAX_FIELDS)
              .map((field) =>
                mrkdwn(`*${escapeMarkup(field.name)}*\n${escapeMarkup(field.value)}`),
              ),
          },
          { type: 'context', elements: [mrkdwn(escapeMarkup(footerOf(message)))] },
        ],
      },
    ],
  },
});

export function footerOf(message: AlertMessage): string {
  return `fledge · ${message.severity} · ${message.reason}`;
}
