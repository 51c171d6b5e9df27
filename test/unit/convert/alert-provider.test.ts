import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { alertTarget } from '../../../src/alerts/target.js';
import type { AlertProvider } from '../../../src/api/alertprovider.generated.js';
import { validateRollout } from '../../../src/api/validate.js';
import { convertAlertProvider } from '../../../src/convert/alert-provider.js';
import { convertCanary } from '../../../src/convert/canary.js';
import { convertFlaggerFiles } from '../../../src/convert/convert-files.js';
import type {
  FlaggerAlert,
  FlaggerAlertProvider,
  FlaggerCanary,
} from '../../../src/convert/flagger-types.js';
import { convertOptions, exampleFile, flaggerCanary } from '../../support/flagger-canary.js';

const provider = (
  name: string,
  spec: FlaggerAlertProvider['spec'],
  namespace = 'flagger',
): FlaggerAlertProvider => ({
  apiVersion: 'flagger.app/v1beta1',
  kind: 'AlertProvider',
  metadata: { name, namespace },
  spec,
});

/** Flagger's docs (docs/gitbook/usage/alerting.md): the Slack provider, and one of each other type. */
const slackFromDocs = provider('on-call', {
  type: 'slack',
  channel: 'on-call-alerts',
  username: 'flagger',
  address: 'https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK',
  proxy: 'http://my-http-proxy.com',
  secretRef: { name: 'on-call-url' },
});

const canary = (alerts: unknown[]): FlaggerCanary =>
  flaggerCanary('podinfo', 'test', {
    provider: 'linkerd',
    service: { port: 9898 },
    analysis: {
      interval: '30s',
      threshold: 5,
      maxWeight: 50,
      stepWeight: 5,
      alerts: alerts as FlaggerAlert[],
    },
  });

/** Flagger's docs' alerts list: three alerts, one with another namespace. */
const alertsFromDocs = [
  {
    name: 'on-call Slack',
    severity: 'error',
    providerRef: { name: 'on-call', namespace: 'flagger' },
  },
  { name: 'qa Discord', severity: 'warn', providerRef: { name: 'qa-discord' } },
  { name: 'dev MS Teams', severity: 'info', providerRef: { name: 'dev-msteams' } },
];

describe('convertAlertProvider', () => {
  it("keeps the Slack provider of Flagger's docs, taking its Secret over its address as Flagger does", () => {
    const result = convertAlertProvider(slackFromDocs);
    expect(result).toEqual({
      ok: true,
      provider: {
        apiVersion: 'fledge.dev/v1alpha1',
        kind: 'AlertProvider',
        metadata: { name: 'on-call', namespace: 'flagger' },
        spec: {
          type: 'slack',
          secretRef: { name: 'on-call-url' },
          channel: 'on-call-alerts',
          username: 'flagger',
          proxy: 'http://my-http-proxy.com',
        },
      },
      notes: [
        {
          path: 'spec.address',
          kind: 'dropped',
          message: expect.stringMatching(/Flagger posts to the Secret's address/),
        },
      ],
    });
  });

  it.each([
    ['slack', 'https://hooks.slack.com/services/T0/B0/X'],
    ['msteams', 'https://outlook.office.com/webhook/YOUR/TEAMS/WEBHOOK'],
    ['discord', 'https://discord.com/api/webhooks/1/abc'],
    ['rocket', 'https://rocket.example.com/hooks/abc'],
    ['gchat', 'https://chat.googleapis.com/v1/spaces/S/messages?key=k&token=t'],
  ])('converts a %s provider into one fledge posts to, at the same address', (type, address) => {
    const result = convertAlertProvider(
      provider(`${type}-alerts`, { type, address, channel: 'releases', username: 'bot' }),
    );
    expect(result.ok && result.provider).toMatchObject({
      spec: { type, address, channel: 'releases', username: 'bot' },
    });
    // What fledge's alert sender reads from it: the same address, channel and name.
    const resolved = alertTarget(
      { namespace: 'flagger', name: `${type}-alerts` },
      (result.ok ? result.provider : null) as unknown as AlertProvider,
      null,
    );
    expect(resolved).toMatchObject({ ok: true, target: { type, address, channel: 'releases' } });
  });

  it('says a Discord address is posted to as given, where Flagger appended /slack', () => {
    const result = convertAlertProvider(
      provider('qa-discord', { type: 'discord', address: 'https://discord.com/api/webhooks/1/a' }),
    );
    expect(result.notes.map((n) => [n.path, n.kind])).toEqual([
      ['spec.address', 'changed'],
      ['spec.username', 'changed'],
    ]);
    expect(result.notes[0]?.message).toMatch(/appends \/slack/);
  });

  it('says messages are posted as fledge where Flagger defaulted the username to flagger', () => {
    const result = convertAlertProvider(
      provider('team', { type: 'rocket', address: 'https://r.example/hooks/x' }),
    );
    expect(result.notes).toEqual([
      { path: 'spec.username', kind: 'changed', message: expect.stringMatching(/as fledge/) },
    ]);
  });

  it.each([
    ['pagerduty', /type "pagerduty": fledge posts to slack, msteams, discord, rocket, gchat/],
    [undefined, /no type/],
  ])('leaves out a provider of type %s, naming the types fledge posts to', (type, why) => {
    const result = convertAlertProvider(
      provider('pager', { type, address: 'https://events.pagerduty.com/x' }),
    );
    expect(result.ok && result.provider).toBeUndefined();
    expect(result.notes).toEqual([
      { path: 'spec.type', kind: 'dropped', message: expect.stringMatching(why) },
    ]);
  });

  it.each([
    ['no address and no Secret', { type: 'slack' }, /^spec: has neither address nor secretRef/],
    [
      'a proxy without a scheme',
      { type: 'slack', address: 'https://h.example/x', proxy: 'my-http-proxy.com' },
      /^spec\.proxy: /,
    ],
    [
      'an address that is no URL',
      { type: 'slack', address: 'hooks.slack.com/x' },
      /^spec\.address/,
    ],
    [
      'a channel of the wrong type',
      { type: 'slack', channel: 7 },
      /^spec\.channel: must be a string/,
    ],
  ])('refuses a provider with %s, at its field', (_case, spec, why) => {
    const result = convertAlertProvider(
      provider('bad', spec as unknown as FlaggerAlertProvider['spec']),
    );
    expect(result.ok).toBe(false);
    expect(
      result.ok ? '' : result.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
    ).toMatch(why);
  });

  it('lists a spec field fledge does not read as not converted', () => {
    const result = convertAlertProvider(
      provider('x', { type: 'gchat', address: 'https://chat.example/x', color: 'red' }),
    );
    expect(result.notes.map((n) => [n.path, n.kind])).toEqual([['spec.color', 'dropped']]);
  });
});

describe('analysis.alerts', () => {
  const providers = [
    slackFromDocs,
    provider(
      'qa-discord',
      { type: 'discord', address: 'https://discord.com/api/webhooks/1/a' },
      'test',
    ),
    provider(
      'dev-msteams',
      { type: 'msteams', address: 'https://outlook.office.com/webhook/x' },
      'test',
    ),
  ];

  it("maps Flagger's docs' alerts to the Rollout's, with their severities and providerRefs", () => {
    const result = convertCanary(canary(alertsFromDocs), [], convertOptions, providers);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect((result.rollout.spec as { analysis: { alerts: unknown } }).analysis.alerts).toEqual([
      {
        name: 'on-call Slack',
        severity: 'error',
        providerRef: { name: 'on-call', namespace: 'flagger' },
      },
      { name: 'qa Discord', severity: 'warn', providerRef: { name: 'qa-discord' } },
      { name: 'dev MS Teams', severity: 'info', providerRef: { name: 'dev-msteams' } },
    ]);
    expect(validateRollout(result.rollout).ok).toBe(true);
    expect(result.notes.filter((n) => n.path.includes('alerts'))).toEqual([]);
  });

  it("writes Flagger's empty or absent severity as info, its default", () => {
    const result = convertCanary(
      canary([
        { name: 'a', severity: '', providerRef: { name: 'dev-msteams' } },
        { name: 'b', providerRef: { name: 'dev-msteams' } },
      ]),
      [],
      convertOptions,
      providers,
    );
    const alerts = result.ok && (result.rollout.spec as { analysis: { alerts: unknown[] } });
    expect(alerts ? alerts.analysis.alerts : undefined).toEqual([
      expect.objectContaining({ name: 'a', severity: 'info' }),
      expect.objectContaining({ name: 'b', severity: 'info' }),
    ]);
  });

  it('keeps the providerRef of a provider not in the input, saying to convert it too', () => {
    const result = convertCanary(canary(alertsFromDocs.slice(1, 2)), [], convertOptions, []);
    expect(result.ok).toBe(true);
    expect(result.notes).toEqual([
      {
        path: 'spec.analysis.alerts[0].providerRef',
        kind: 'changed',
        message: expect.stringMatching(/AlertProvider test\/qa-discord, which is not in the input/),
      },
    ]);
  });

  it('leaves out an alert whose provider fledge cannot post to, saying why', () => {
    const result = convertCanary(
      canary([{ name: 'pages', providerRef: { name: 'pager' } }, alertsFromDocs[2]]),
      [],
      convertOptions,
      [
        ...providers,
        provider('pager', { type: 'pagerduty', address: 'https://p.example' }, 'test'),
      ],
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect((result.rollout.spec as { analysis: { alerts: unknown[] } }).analysis.alerts).toEqual([
      expect.objectContaining({ name: 'dev MS Teams' }),
    ]);
    expect(result.notes).toEqual([
      {
        path: 'spec.analysis.alerts[0]',
        kind: 'dropped',
        message: expect.stringMatching(
          /alert pages was left out: AlertProvider test\/pager has type "pagerduty"/,
        ),
      },
    ]);
  });

  it.each([
    [
      { name: 'x', severity: 'critical', providerRef: { name: 'p' } },
      'spec.analysis.alerts[0].severity',
    ],
    [{ name: 'x', providerRef: {} }, 'spec.analysis.alerts[0].providerRef.name'],
    [{ severity: 'info', providerRef: { name: 'p' } }, 'spec.analysis.alerts[0].name'],
    [{ name: 'x'.repeat(64), providerRef: { name: 'p' } }, 'spec.analysis.alerts[0].name'],
    [
      { name: 'x', providerRef: { name: 'Not_A_Name' } },
      'spec.analysis.alerts[0].providerRef.name',
    ],
  ])('refuses %j at its field', (alert, field) => {
    const result = convertCanary(canary([alert]), [], convertOptions);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual([field]);
  });

  it('names the Canary field of a refused alert when an earlier alert was left out', () => {
    const result = convertCanary(
      canary([
        { name: 'pages', providerRef: { name: 'pager' } },
        { name: 'y'.repeat(64), providerRef: { name: 'dev-msteams' } },
      ]),
      [],
      convertOptions,
      [provider('pager', { type: 'pagerduty', address: 'https://p.example' }, 'test')],
    );
    expect(result.ok ? [] : result.problems.map((p) => p.path)).toEqual([
      'spec.analysis.alerts[1].name',
    ]);
  });
});

describe('fledge convert with AlertProviders in the input', () => {
  it('converts examples/flagger/alert-providers.yaml: one provider of each type, and every alert', () => {
    const converted = convertFlaggerFiles([exampleFile('alert-providers.yaml')], convertOptions);
    expect(converted.failed).toBe(0);
    const documents = parseAllDocuments(converted.yaml).map((d) => d.toJSON());
    expect(documents.map((d) => `${d.kind} ${d.spec.type ?? ''}`.trim())).toEqual([
      'AlertProvider slack',
      'AlertProvider discord',
      'AlertProvider msteams',
      'AlertProvider rocket',
      'AlertProvider gchat',
      'Rollout',
    ]);
    const rollout = validateRollout(documents[5]);
    expect(rollout.ok && rollout.rollout.spec.analysis.alerts?.map((a) => a.severity)).toEqual([
      'error',
      'warn',
      'info',
      'info',
      'info',
    ]);
  });

  it('writes the AlertProviders after the MetricTemplates and before the Rollouts', () => {
    const text = [slackFromDocs, canary(alertsFromDocs.slice(0, 1))]
      .map((d) => JSON.stringify(d))
      .join('\n---\n');
    const converted = convertFlaggerFiles([{ name: 'in.yaml', text }], convertOptions);
    expect(converted.failed).toBe(0);
    expect(converted.alertProviders).toBe(1);
    expect(
      parseAllDocuments(converted.yaml).map((d) => {
        const object = d.toJSON();
        return `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`;
      }),
    ).toEqual(['AlertProvider flagger/on-call', 'Rollout test/podinfo']);
    expect(converted.messages).toEqual([
      expect.stringMatching(/^AlertProvider flagger\/on-call: spec\.address: not converted: /),
    ]);
  });

  it('counts a provider it cannot convert as failed, with the problem at its field', () => {
    const converted = convertFlaggerFiles(
      [{ name: 'in.yaml', text: JSON.stringify(provider('bad', { type: 'slack' })) }],
      convertOptions,
    );
    expect(converted.failed).toBe(1);
    expect(converted.yaml).toBe('');
    expect(converted.messages[0]).toMatch(
      /^AlertProvider flagger\/bad: cannot be converted: spec: /,
    );
  });
});
