import { type Render, titleOf } from '../message.js';
import type { Severity } from '../severity.js';
import { slackAttachmentBody } from './slack-attachment.js';

const colors: Record<Severity, number> = { info: 0x2eb886, warn: 0xdaa038, error: 0xa30200 };
const hex = (color: number) => `#${color.toString(16).padStart(6, '0')}`;

/** Discord's embeds take at most 25 fields; a username that names Discord is refused. */
const MAX_FIELDS = 25;

/**
 * Discord: an address ending in `/slack` gets the Slack-compatible body Flagger sends there;
 * any other gets Discord's own execute-webhook body, an embed, with mentions switched off so
 * a message can never ping `@everyone`. (Flagger appends `/slack` to every address; both kinds
 * reach the same channel.)
 */
export const renderDiscord: Render = (message, settings) => {
  const path = new URL(settings.address).pathname;
  if (path.endsWith('/slack')) {
    return {
      url: settings.address,
      body: slackAttachmentBody(message, settings, hex(colors[message.severity])),
    };
  }
  return {
    url: settings.address,
    body: {
      username: settings.username,
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: titleOf(message),
          description: message.text,
          color: colors[message.severity],
          fields: message.fields
            .slice(0, MAX_FIELDS)
            .map((field) => ({ name: field.name, value: field.value, inline: true })),
          footer: { text: `fledge · ${message.severity} · ${message.reason}` },
          timestamp: message.timestamp,
        },
      ],
    },
  };
};
