import { type AlertMessage, type Render, summaryOf, titleOf } from '../message.js';
import type { Severity } from '../severity.js';

const themeColors: Record<Severity, string> = { info: '0076D7', warn: 'FFA500', error: 'FF0000' };
const textColors: Record<Severity, string> = {
  info: 'default',
  warn: 'warning',
  error: 'attention',
};

/** Office 365 connectors (the URLs Flagger users have) take MessageCards; Workflows take Adaptive Cards. */
export function isOffice365Connector(address: string): boolean {
  const host = new URL(address).hostname;
  return host.endsWith('.webhook.office.com') || host === 'outlook.office.com';
}

/** The MessageCard Flagger sends to an Office 365 connector. */
function messageCard(message: AlertMessage): Record<string, unknown> {
  return {
    '@type': 'MessageCard',
    '@context': 'http://schema.org/extensions',
    themeColor: themeColors[message.severity],
    summary: summaryOf(message),
    sections: [
      {
        activityTitle: message.text,
        activitySubtitle: titleOf(message),
        facts: message.fields.map((field) => ({ name: field.name, value: field.value })),
      },
    ],
  };
}

/** An Adaptive Card (version 1.4, the highest Teams renders) in the envelope Workflows expect. */
function adaptiveCard(message: AlertMessage): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            {
              type: 'TextBlock',
              text: titleOf(message),
              size: 'Large',
              weight: 'Bolder',
              wrap: true,
            },
            {
              type: 'TextBlock',
              text: message.text,
              color: textColors[message.severity],
              wrap: true,
            },
            {
              type: 'FactSet',
              facts: message.fields.map((field) => ({ title: field.name, value: field.value })),
            },
          ],
        },
      },
    ],
  };
}

/**
 * Microsoft Teams: a MessageCard for an Office 365 connector URL (`*.webhook.office.com`), as
 * Flagger sends; an Adaptive Card for any other URL, which is what Teams Workflows ("Post to
 * a channel when a webhook request is received") take, as Flux's notification-controller does.
 */
export const renderMsTeams: Render = (message, settings) => ({
  url: settings.address,
  body: isOffice365Connector(settings.address) ? messageCard(message) : adaptiveCard(message),
});
