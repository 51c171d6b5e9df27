import { type AlertMessage, type Render, summaryOf, titleOf } from '../message.js';
import { escapeMarkup } from '../text.js';

function coloured(message: AlertMessage): string {
  const text = escapeMarkup(message.text);
  if (message.severity === 'error') return `<font color="#d93025">${text}</font>`;
  if (message.severity === 'warn') return `<font color="#e37400">${text}</font>`;
  return text;
}

/**
 * A Google Chat incoming-webhook message: one card (cardsV2; Flagger still sends the
 * deprecated `cards`) with the text and the fields, and `fallbackText` for notifications.
 * Card text is a subset of HTML, so &, < and > are escaped.
 */
export const renderGChat: Render = (message, settings) => ({
  url: settings.address,
  body: {
    fallbackText: summaryOf(message),
    cardsV2: [
      {
        cardId: 'fledge-alert',
        card: {
          header: {
            title: escapeMarkup(titleOf(message)),
            subtitle: escapeMarkup(`fledge · ${message.severity} · ${message.reason}`),
          },
          sections: [
            { widgets: [{ textParagraph: { text: coloured(message) } }] },
            {
              widgets: message.fields.map((field) => ({
                decoratedText: {
                  topLabel: escapeMarkup(field.name),
                  text: escapeMarkup(field.value),
                },
              })),
            },
          ],
        },
      },
    ],
  },
});
