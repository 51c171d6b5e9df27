import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's chromium package; CI installs it through scripts/setup.sh. */
export const CHROMIUM = process.env.FLEDGE_CHROMIUM ?? '/usr/bin/chromium';

export interface Browser {
  page: Page;
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A headless Chromium with a fresh profile, flags that keep it off the network (no updates,
 * sync or QUIC) and without a sandbox, which needs privileges a root test run does not give.
 */
export async function openBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = await mkdtemp(path.join(tmpdir(), 'fledge-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // A page error fails nothing by itself; printed, it explains a view that never got ready.
  page.on('pageerror', (error) => console.error(`dashboard page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`dashboard console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400)
      console.error(`dashboard: ${response.status()} ${response.url()}`);
  });
  return {
    page,
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
