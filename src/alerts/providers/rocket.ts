import type { Render } from '../message.js';
import type { Severity } from '../severity.js';
import { slackAttachmentBody } from './slack-attachment.js';

/** Flagger's colours for Rocket.Chat, with an amber for warnings. */
const colors: Record<Severity, string> = { info: '#0076D7', warn: '#FFA500', error: '#FF0000' };

/**
 * A Rocket.Chat incoming-webhook message: the Slack-compatible attachment Flagger sends, with
 * `alias` set too, which is the name Rocket.Chat shows for an integration's message.
 */
export const renderRocket: Render = (message, settings) => ({
  url: settings.address,
  body: {
    ...slackAttachmentBody(message, settings, colors[message.severity]),
    alias: settings.username,
  },
});
