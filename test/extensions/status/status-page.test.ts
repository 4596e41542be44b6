/// <reference lib="dom" />
/**
 * The status page in a real browser (Debian's chromium) against a real 3-node ensemble: renders without a console
 * error or a request leaving loopback, shows a follower going down (reason `refused`, quorum at risk) and coming
 * back without a reload, and reconnects by itself after the agent restarts.
 * ZKOTEL_WRITE_SCREENSHOT=1 writes docs/status-page.png (the README's screenshot) from this run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { builtinRegistry } from '../../../src/components.js';
import { resolveConfig } from '../../../src/core/config/resolve.js';
import { silentLogger } from '../../../src/core/logger.js';
import { Service } from '../../../src/core/service.js';
import { isLoopback, launchChromium } from '../../harness/browser.js';
import { startEnsemble, type Ensemble } from '../../harness/ensemble.js';
import { repoRoot } from '../../harness/fixtures.js';
import { freePort } from '../../harness/ports.js';

const INTERVAL_MS = 2000;

async function startAgent(endpoints: string[], statusEndpoint: string, metricsEndpoint: string): Promise<Service> {
  const target = { endpoints, collection_interval: `${INTERVAL_MS}ms`, timeout: '1s', cluster: 'demo' };
  const resolution = resolveConfig(
    {
      value: {
        receivers: { zookeeper: { ...target, commands: ['mntr', 'ruok', 'srvr'] }, zookeeper_session: target },
        exporters: { prometheus: { endpoint: metricsEndpoint } },
        extensions: { status: { endpoint: statusEndpoint } },
        service: { extensions: ['status'], pipelines: { metrics: { receivers: ['zookeeper', 'zookeeper_session'], exporters: ['prometheus'] } } },
      },
      problems: [],
      warnings: [],
      locate: () => undefined,
    },
    builtinRegistry(),
  );
  assert.deepEqual(resolution.problems, []);
  return Service.start(resolution.config!, silentLogger);
}

/** The text of each server row: endpoint → row text. */
async function rows(page: Page): Promise<Map<string, string>> {
  const texts = await page.$$eval('tr[data-endpoint]', (nodes) =>
    nodes.map((node) => [node.getAttribute('data-endpoint')!, (node as HTMLElement).innerText] as [string, string]),
  );
  return new Map(texts);
}

describe('status page in a real browser', { timeout: 420_000 }, () => {
  let ensemble: Ensemble;
  let browser: Browser;
  let service: Service | undefined;
  let statusEndpoint: string;
  let metricsEndpoint: string;
  const consoleErrors: string[] = [];
  const outsideRequests: string[] = [];

  before(async () => {
    ensemble = await startEnsemble({ size: 3 });
    await ensemble.waitReady();
    statusEndpoint = `127.0.0.1:${await freePort()}`;
    metricsEndpoint = `127.0.0.1:${await freePort()}`;
    service = await startAgent(
      ensemble.nodes.map((node) => node.endpoint),
      statusEndpoint,
      metricsEndpoint,
    );
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await service?.shutdown();
    await ensemble?.stop();
  });

  it('shows the ensemble, a follower going down and back, live, and survives an agent restart', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 860 } });
    page.on('console', (message) => void (message.type() === 'error' && consoleErrors.push(message.text())));
    page.on('pageerror', (error) => void consoleErrors.push(String(error)));
    page.on('request', (request) => void (isLoopback(request.url()) || outsideRequests.push(request.url())));
    let navigations = 0;
    page.on('framenavigated', () => void navigations++);

    const url = `http://${statusEndpoint}/`;
    await page.goto(url);
    await page.waitForFunction(
      () => document.querySelectorAll('tr[data-endpoint]').length === 3 && document.querySelector('tr[data-endpoint] span.age') !== null,
      null,
      { timeout: 30_000 },
    );
    await page.waitForFunction(() => /quorum ok/.test(document.querySelector('details.cluster summary')?.textContent ?? ''), null, { timeout: 30_000 });
    const initial = await rows(page);
    assert.equal(initial.size, 3);
    assert.deepEqual([...initial.keys()].sort(), ensemble.nodes.map((node) => node.endpoint).sort());
    const roles = [...initial.values()].map((text) => (/\b(leader|follower)\b/.exec(text) ?? [])[1]);
    assert.equal(roles.filter((role) => role === 'leader').length, 1, `exactly one leader: ${[...initial.values()].join(' | ')}`);
    assert.equal(roles.filter((role) => role === 'follower').length, 2);
    assert.match((await page.textContent('#connection')) ?? '', /live/);
    assert.match((await page.textContent('#agent')) ?? '', /metrics/);

    // Keyboard: Tab reaches the cluster's summary; Enter folds it and opens it again.
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'SUMMARY'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.tagName ?? '');
    }
    assert.equal(focused, 'SUMMARY', 'a cluster is reachable with Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => (document.querySelector('details.cluster') as HTMLDetailsElement).open), false);
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => (document.querySelector('details.cluster') as HTMLDetailsElement).open), true);
    // Live updates keep the focus where the user left it.
    const probeShown = await page.$eval('tr[data-endpoint] span.age', (node) => node.getAttribute('data-t'));
    await page.waitForFunction((before) => document.querySelector('tr[data-endpoint] span.age')?.getAttribute('data-t') !== before, probeShown, {
      timeout: 15_000,
    });
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'SUMMARY', 'focus survives an update');

    const screenshot = process.env.ZKOTEL_WRITE_SCREENSHOT === '1';
    // For the README: let the sparklines gather a few minutes of points first.
    if (screenshot) await new Promise((resolve) => setTimeout(resolve, 150_000));

    const leader = await ensemble.leader();
    const follower = ensemble.nodes.find((node) => node.id !== leader.id)!;
    await ensemble.stopNode(follower.id, 'SIGKILL');
    const killedAt = Date.now();
    await page.waitForFunction(
      (endpoint) => {
        const row = document.querySelector(`tr[data-endpoint="${endpoint}"]`) as HTMLElement | null;
        return (
          row !== null &&
          /\bdown\b/.test(row.innerText) &&
          /refused/.test(row.innerText) &&
          /quorum at risk/.test(document.querySelector('details.cluster summary')?.textContent ?? '')
        );
      },
      follower.endpoint,
      { timeout: 30_000, polling: 100 },
    );
    const detectedMs = Date.now() - killedAt;
    assert.ok(detectedMs <= 2 * INTERVAL_MS, `down and at risk shown ${detectedMs} ms after the kill; two intervals are ${2 * INTERVAL_MS} ms`);
    if (screenshot) await page.screenshot({ path: path.join(repoRoot(), 'docs', 'status-page.png'), fullPage: true });
    const problems = await page.textContent('#problems');
    assert.match(problems ?? '', /ZooKeeperServerDown/);
    assert.match(problems ?? '', /ZooKeeperQuorumAtRisk/);

    await ensemble.startNode(follower.id);
    await ensemble.waitReady();
    await page.waitForFunction(
      (endpoint) => {
        const row = document.querySelector(`tr[data-endpoint="${endpoint}"]`) as HTMLElement | null;
        return row !== null && /\bup\b/.test(row.innerText) && /quorum ok/.test(document.querySelector('details.cluster summary')?.textContent ?? '');
      },
      follower.endpoint,
      { timeout: 60_000, polling: 200 },
    );
    assert.match((await page.textContent('#problems')) ?? '', /no problems/);
    assert.deepEqual(consoleErrors, [], 'no console error while the agent runs');
    assert.deepEqual(outsideRequests, [], 'no request leaves loopback');

    // Agent restart: the page notices, then reconnects by itself (no reload) to the new agent.
    await service!.shutdown();
    service = undefined;
    await page.waitForFunction(() => /reconnecting/.test(document.getElementById('connection')?.textContent ?? ''), null, { timeout: 15_000 });
    service = await startAgent(
      ensemble.nodes.map((node) => node.endpoint),
      statusEndpoint,
      metricsEndpoint,
    );
    await page.waitForFunction(() => /live/.test(document.getElementById('connection')?.textContent ?? ''), null, { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll('tr[data-endpoint]').length === 3, null, { timeout: 30_000 });
    assert.equal(navigations, 1, 'the page was never reloaded');
    const unexpected = consoleErrors.filter((text) => !/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING/.test(text));
    assert.deepEqual(unexpected, [], "only the browser's own report of the refused reconnection attempts");
    assert.deepEqual(outsideRequests, []);
  });

  it('weighs under 150 KB and serves the documented JSON', async () => {
    let bytes = 0;
    for (const asset of ['/', '/status.css', '/status.js']) {
      const response = await fetch(`http://${statusEndpoint}${asset}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      bytes += (await response.arrayBuffer()).byteLength;
    }
    assert.ok(bytes < 150 * 1024, `page weight ${bytes} bytes`);
    const document = (await (await fetch(`http://${statusEndpoint}/api/v1/status`)).json()) as {
      schema: string;
      clusters: { name: string; quorum: string; servers: { endpoint: string; up: boolean; history: Record<string, unknown[]> }[] }[];
      agent: { pipelines: { id: string }[]; targets: number };
    };
    assert.equal(document.schema, 'zkotel.status/v1');
    assert.equal(document.clusters.length, 1);
    assert.equal(document.clusters[0]!.name, 'demo');
    assert.equal(document.clusters[0]!.servers.length, 3);
    assert.equal(document.clusters[0]!.servers[0]!.history['latency_avg_ms']!.length, 90);
    assert.deepEqual(
      document.agent.pipelines.map((pipeline) => pipeline.id),
      ['metrics'],
    );
  });
});
