import type * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { startFixture, disposeFixture, type Fixture, type FixtureOptions } from '../../support/fixture.ts';
import { launchChromium } from '../../support/chromium.ts';
import { discover, type RegisteredTestClient } from '../../support/relying-party.ts';
import { registerApplication, startApplicationServer, type ApplicationServer } from './relying-app.ts';

/**
 * What every browser suite starts with: one Chromium, a Latchkey on PostgreSQL and Redis (the
 * embedded default serves the same pages; other suites run every flow on both, and one backend
 * keeps the browser suite quick), and a relying application with its own web server.
 */
export interface BrowserWorld {
  browser: Browser;
  f: Fixture;
  application: ApplicationServer;
  app: RegisteredTestClient;
  config: oidc.Configuration;
}

export async function startBrowserWorld(options: FixtureOptions = {}): Promise<BrowserWorld> {
  const [browser, application] = await Promise.all([launchChromium(), startApplicationServer()]);
  const { f } = await startFixture('postgres', options);
  const app = await registerApplication(f, application);
  return { browser, f, application, app, config: await discover(f.server.url, app) };
}

export async function stopBrowserWorld(w: Partial<BrowserWorld> | undefined): Promise<void> {
  await w?.browser?.close();
  await disposeFixture(w?.f);
  await w?.application?.close();
}
