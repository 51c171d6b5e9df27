import { describe, expect, it } from 'vitest';
import { renderDiscord } from '../../../src/alerts/providers/discord.js';
import { renderGChat } from '../../../src/alerts/providers/gchat.js';
import { renderGeneric } from '../../../src/alerts/providers/generic.js';
import { renderMsTeams } from '../../../src/alerts/providers/msteams.js';
import { renderRocket } from '../../../src/alerts/providers/rocket.js';
import { renderSlack } from '../../../src/alerts/providers/slack.js';
import { message, settings } from './fixtures.js';

const escaped =
  'rolled back revision 7f9c: failed checks reached the threshold; last: request-success-rate: 91.2 out of range (min 99) &lt;@here&gt; &amp; more';
const attachmentFields = message.fields.map((f) => ({
  title: f.name,
  value: f.value,
  short: false,
}));

describe('slack', () => {
  it('posts Block Kit blocks in a danger-coloured attachment, with mrkdwn escaped', () => {
    const { url, body } = renderSlack(message, settings);
    expect(url).toBe(settings.address);
    expect(body).toEqual({
      channel: 'releases',
      username: 'fledge',
      icon_emoji: ':rocket:',
      text: `podinfo.test: ${escaped}`,
      attachments: [
        {
          color: 'danger',
          blocks: [
            { type: 'section', text: { type: 'mrkdwn', text: `*podinfo.test*\n${escaped}` } },
            {
              type: 'section',
              fields: message.fields.map((f) => ({
                type: 'mrkdwn',
                text: `*${f.name}*\n${f.value}`,
              })),
            },
            {
              type: 'context',
              elements: [{ type: 'mrkdwn', text: 'fledge · error · ThresholdReached' }],
            },
          ],
        },
      ],
    });
  });

  it('colours warnings and information as Slack names them', () => {
    const colour = (severity: 'info' | 'warn') =>
      (renderSlack({ ...message, severity }, settings).body as { attachments: { color: string }[] })
        .attachments[0]?.color;
    expect([colour('info'), colour('warn')]).toEqual(['good', 'warning']);
  });
});

describe('discord', () => {
  it('posts Discord’s own embed, mentions off, to an address as Discord issues it', () => {
    const address = 'https://discord.com/api/webhooks/123/abc';
    const { url, body } = renderDiscord(message, { ...settings, address });
    expect(url).toBe(address);
    expect(body).toEqual({
      username: 'fledge',
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: 'podinfo.test',
          description: message.text,
          color: 0xa30200,
          fields: message.fields.map((f) => ({ name: f.name, value: f.value, inline: true })),
          footer: { text: 'fledge · error · ThresholdReached' },
          timestamp: message.timestamp,
        },
      ],
    });
  });

  it('posts Flagger’s Slack-compatible body to an address that ends in /slack', () => {
    const address = 'https://discord.com/api/webhooks/123/abc/slack';
    const { url, body } = renderDiscord(message, { ...settings, address });
    expect(url).toBe(address);
    expect(body).toEqual({
      channel: 'releases',
      username: 'fledge',
      icon_emoji: ':rocket:',
      attachments: [
        {
          color: '#a30200',
          author_name: 'podinfo.test',
          text: message.text,
          mrkdwn_in: ['text'],
          fields: attachmentFields,
        },
      ],
    });
  });
});

describe('rocket', () => {
  it('posts Flagger’s attachment with Flagger’s colours, and the alias Rocket.Chat shows', () => {
    const address = 'https://chat.example/hooks/abc/def';
    expect(renderRocket(message, { ...settings, address })).toEqual({
      url: address,
      body: {
        channel: 'releases',
        username: 'fledge',
        alias: 'fledge',
        icon_emoji: ':rocket:',
        attachments: [
          {
            color: '#FF0000',
            author_name: 'podinfo.test',
            text: message.text,
            mrkdwn_in: ['text'],
            fields: attachmentFields,
          },
        ],
      },
    });
  });
});

describe('msteams', () => {
  it('posts Flagger’s MessageCard to an Office 365 connector', () => {
    const address = 'https://contoso.webhook.office.com/webhookb2/abc/IncomingWebhook/def';
    expect(renderMsTeams(message, { ...settings, address }).body).toEqual({
      '@type': 'MessageCard',
      '@context': 'http://schema.org/extensions',
      themeColor: 'FF0000',
      summary: `podinfo.test: ${message.text}`,
      sections: [
        {
          activityTitle: message.text,
          activitySubtitle: 'podinfo.test',
          facts: message.fields.map((f) => ({ name: f.name, value: f.value })),
        },
      ],
    });
  });

  it('posts an Adaptive Card 1.4 in the message envelope to a Teams Workflows URL', () => {
    const address =
      'https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke';
    expect(renderMsTeams(message, { ...settings, address }).body).toEqual({
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
                text: 'podinfo.test',
                size: 'Large',
                weight: 'Bolder',
                wrap: true,
              },
              { type: 'TextBlock', text: message.text, color: 'attention', wrap: true },
              {
                type: 'FactSet',
                facts: message.fields.map((f) => ({ title: f.name, value: f.value })),
              },
            ],
          },
        },
      ],
    });
  });
});

describe('gchat', () => {
  it('posts one cardsV2 card with the text in red for an error, HTML escaped', () => {
    const address = 'https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t';
    expect(renderGChat(message, { ...settings, address })).toEqual({
      url: address,
      body: {
        fallbackText: `podinfo.test: ${message.text}`,
        cardsV2: [
          {
            cardId: 'fledge-alert',
            card: {
              header: { title: 'podinfo.test', subtitle: 'fledge · error · ThresholdReached' },
              sections: [
                {
                  widgets: [{ textParagraph: { text: `<font color="#d93025">${escaped}</font>` } }],
                },
                {
                  widgets: message.fields.map((f) => ({
                    decoratedText: { topLabel: f.name, text: f.value },
                  })),
                },
              ],
            },
          },
        ],
      },
    });
  });
});

describe('generic', () => {
  it('posts fledge’s flat JSON, documented in docs/alerts.md', () => {
    expect(renderGeneric(message, { ...settings, address: 'http://hooks.ops/fledge' })).toEqual({
      url: 'http://hooks.ops/fledge',
      body: {
        source: 'fledge',
        name: 'podinfo',
        namespace: 'test',
        severity: 'error',
        type: 'Warning',
        reason: 'ThresholdReached',
        message: message.text,
        phase: 'Failed',
        revision: '7f9c',
        canaryWeight: 0,
        failedChecks: 5,
        iterations: 6,
        target: 'Deployment/podinfo',
        timestamp: message.timestamp,
      },
    });
  });
});
