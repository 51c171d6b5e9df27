import { describe, expect, it } from 'vitest';
import { formatEnv } from '../../../src/playground/shell-env.js';

describe('formatEnv', () => {
  it('prints one export per variable, quoting only what the shell would split', () => {
    expect(
      formatEnv({
        KUBECONFIG: '/root/.fledge/playground/playground/kubeconfig',
        FLEDGE_MESH_PROXY: 'http://127.0.0.1:4140',
        ODD: "it's here",
      }),
    ).toBe(
      [
        'export KUBECONFIG=/root/.fledge/playground/playground/kubeconfig',
        'export FLEDGE_MESH_PROXY=http://127.0.0.1:4140',
        `export ODD='it'\\''s here'`,
      ].join('\n'),
    );
  });
});
