import { type AlertMessage, type ProviderSettings, titleOf } from '../message.js';

/**
 * The Slack-compatible message Flagger sends to Slack, Discord's `/slack` endpoint and
 * Rocket.Chat: one coloured attachment with the author line, the text and the fields.
 */
export function slackAttachmentBody(
  message: AlertMessage,
  settings: ProviderSettings,
  color: string,
): Record<string, unknown> {
  return {
    channel: settings.channel,
    username: settings.username,
    icon_emoji: ':rocket:',
    attachments: [
      {
        color,
        author_name: titleOf(message),
        text: message.text,
        mrkdwn_in: ['text'],
        fields: message.fields.map((field) => ({
          title: field.name,
          value: field.value,
          short: false,
        })),
      },
    ],
  };
}
