import type { AlertProviderSpec } from '../../api/alertprovider.generated.js';
import type { Render } from '../message.js';
import { renderDiscord } from './discord.js';
import { renderGChat } from './gchat.js';
import { renderGeneric } from './generic.js';
import { renderMsTeams } from './msteams.js';
import { renderRocket } from './rocket.js';
import { renderSlack } from './slack.js';

export type ProviderType = AlertProviderSpec['type'];

/** The body each AlertProvider type posts. */
export const renderers: Record<ProviderType, Render> = {
  slack: renderSlack,
  msteams: renderMsTeams,
  discord: renderDiscord,
  rocket: renderRocket,
  gchat: renderGChat,
  generic: renderGeneric,
};

/** The types that send the Secret's `token` as a bearer token, as Flagger does for Slack. */
export const sendsToken: ReadonlySet<ProviderType> = new Set(['slack', 'generic']);
