import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeUserAccount } from '@tickstream/schemas';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { hashPassword } from '../../edge/src/password.js';
import { FillEngineStandIn, portfolioOf, updateOf } from '../../edge/src/testing/fill-engine-stand-in.js';
import { type ApiSymbol, startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import type { OrderJson } from '../../edge/src/trading-json.js';
import type { TradingTopicNames } from '../../edge/src/trading-state.js';
import {
  ensureUserTopics,
  UserStateWriter,
  type UserTopicNames,
  userStateKafka,
} from '../../edge/src/user-state-kafka.js';
import type { RunningProducer } from '../../producer/dist/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dashboardDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(dashboardDir, 'dist');
const haveChromium = existsSync(CHROMIUM);
const SECRET = 'browser-trading-secret';
const STARTING_CASH = 100_000 * 10_000;
/** A browser on a machine shared with other builds is slow; a hang still fails. */
const TEST_MS = 120_000;

// The Trading and Portfolio tabs of the built dashboard, in headless Chromium, against real edges
// with --auth-secret on a real broker. Fills and portfolios come from the stand-in of the Flink
// fill engine (edge/src/testing/fill-engine-stand-in.ts) until part B of issue 21 adds it.
describe.skipIf(!haveChromium)('dashboard Trading and Portfolio tabs in Chromium', () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let engine: FillEngineStandIn;
  let tradingTopics: TradingTopicNames;
  let userTopics: UserTopicNames;
  let topic: string;
  const edges: RunningEdge[] = [];
  const contexts: BrowserContext[] = [];
  const profiles: string[] = [];
  const consoleErrors: string[] = [];
  let url: string;
  let alice: Page;

  const startEdge = async (): Promise<RunningEdge> => {
    const edge = await startTestEdge(kafka.brokers, topic, {
      staticDir: dist,
      authSecret: SECRET,
      userTopics,
      tradingTopics,
    });
    edges.push(edge);
    await until(
      async () => {
        const health = (await (await fetch(`http://127.0.0.1:${edge.port}/health`)).json()) as {
          users: { loaded: boolean };
          trading: { loaded: boolean };
        };
        return health.users.loaded && health.trading.loaded;
      },
      30_000,
      'the edge to load users and trading state',
    );
    return edge;
  };

  async function openPage(): Promise<Page> {
    const profile = mkdtempSync(join(tmpdir(), 'tickstream-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-sandbox'],
    });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    return page;
  }

  async function signIn(page: Page, user: string, at = url): Promise<void> {
    await page.goto(at);
    const form = page.getByTestId('sign-in');
    await form.getByLabel('User').fill(user);
    await form.getByLabel('Password').fill(`${user}-password`);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await waitLive(page);
  }

  const waitLive = (page: Page) =>
    page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent?.trim() === 'live', null, {
      timeout: 30_000,
    });

  /** alice's token, from her page's HttpOnly cookie, for the API calls the test makes as her. */
  const tokenOf = async (page: Page): Promise<string> =>
    (await page.context().cookies()).find((cookie) => cookie.name === 'tickstream_token')?.value ?? '';
  const ordersOf = async (page: Page): Promise<OrderJson[]> =>
    (
      (await (
        await fetch(`${url}api/orders`, { headers: { Authorization: `Bearer ${await tokenOf(page)}` } })
      ).json()) as { orders: OrderJson[] }
    ).orders;
  const quote = async (page: Page, symbol: string): Promise<ApiSymbol> => {
    const body = (await (
      await fetch(`${url}api/symbols`, { headers: { Authorization: `Bearer ${await tokenOf(page)}` } })
    ).json()) as { symbols: ApiSymbol[] };
    return body.symbols.find((s) => s.name === symbol) as ApiSymbol;
  };
  const text = (page: Page, testId: string) => page.getByTestId(testId).innerText();

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html')))
      execFileSync('npx', ['vite', 'build'], { cwd: dashboardDir, stdio: 'inherit' });
    kafka = await startTestKafka();
    topic = uniqueName('trading-e2e');
    userTopics = { users: uniqueName('users'), alerts: uniqueName('alerts'), alertEvents: uniqueName('alert-events') };
    tradingTopics = { orders: uniqueName('orders'), fills: uniqueName('fills'), portfolios: uniqueName('portfolios') };
    producer = await startTestProducer(kafka.brokers, topic, 1000, 30);
    const client = userStateKafka(kafka.brokers, 'test-users');
    const admin = client.admin();
    await admin.connect();
    await ensureUserTopics(admin, userTopics, ['users', 'alerts', 'alertEvents']);
    await admin.disconnect();
    const writer = new UserStateWriter(client);
    for (const [name, role] of [
      ['alice', 'trader'],
      ['bob', 'trader'],
      ['vic', 'viewer'],
    ] as const) {
      const passwordHash = await hashPassword(`${name}-password`);
      await writer.write(
        userTopics.users,
        name,
        encodeUserAccount({ name, role, passwordHash, updatedAtMs: Date.now() }),
      );
    }
    await writer.stop();
    await new Promise((r) => setTimeout(r, 1000));
    const edge = await startEdge();
    url = `http://127.0.0.1:${edge.port}/`;
    engine = new FillEngineStandIn(kafka.brokers, tradingTopics);
  }, 240_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
    await engine?.stop();
    for (const edge of edges) await edge.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it(
    'places a market order from the ticket with the live bid/ask, after a confirmation',
    async () => {
      alice = await openPage();
      await signIn(alice, 'alice');
      await alice.getByRole('tab', { name: /^Trading/ }).click();
      const ticket = alice.getByTestId('order-ticket');
      await ticket.getByLabel('Symbol').fill('AAPL');
      // The ticket's quote is the live one: it moves.
      await expect.poll(() => text(alice, 'ticket-ask'), { timeout: 10_000 }).toMatch(/^\d+\.\d{2}$/);
      const firstAsk = await text(alice, 'ticket-ask');
      await expect.poll(() => text(alice, 'ticket-ask'), { timeout: 15_000 }).not.toBe(firstAsk);
      await ticket.getByLabel('Quantity').fill('100');
      await ticket.getByRole('button', { name: 'Buy' }).click();
      await expect.poll(() => text(alice, 'confirm-text')).toBe('buy 100 AAPL at market');
      // Nothing is sent before the confirmation.
      expect(await ordersOf(alice)).toEqual([]);
      await alice.getByRole('button', { name: 'Confirm buy' }).click();
      await expect.poll(() => alice.getByTestId('open-orders').innerText()).toContain('AAPL');
      await expect.poll(() => text(alice, 'trading-badge')).toBe('1');
      expect(await ordersOf(alice)).toEqual([
        expect.objectContaining({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 100, status: 'new' }),
      ]);
    },
    TEST_MS,
  );

  it(
    'shows the fill, the position with live unrealized P&L, the equity curve and the allocation',
    async () => {
      const [order] = await ordersOf(alice);
      const placed = order as OrderJson;
      const price = (await quote(alice, 'AAPL')).ask;
      const cost = 100 * price;
      const stand = { id: placed.id, user: 'alice', symbol: 'AAPL', side: 'buy' as const, quantity: 100 };
      await engine.write({
        updates: [
          updateOf(stand, 1, 'new'),
          updateOf(stand, 2, 'filled', {
            fillQuantity: 100,
            fillPrice: price,
            filledQuantity: 100,
            averageFillPrice: price,
          }),
        ],
        portfolios: [
          portfolioOf(
            'alice',
            {
              cash: STARTING_CASH - cost,
              startingCash: STARTING_CASH,
              positions: [{ symbol: 'AAPL', quantity: 100, cost, realizedPnl: 0 }],
            },
            [
              { timeMs: Date.now() - 120_000, equity: STARTING_CASH },
              { timeMs: Date.now(), equity: STARTING_CASH },
            ],
          ),
        ],
      });
      await expect
        .poll(() => alice.getByTestId('trading-toast').first().innerText(), { timeout: 15_000 })
        .toContain(`Bought 100 AAPL at ${(price / 10_000).toFixed(2)} (filled)`);
      await expect.poll(() => text(alice, 'trading-badge')).toBe('0');
      await expect.poll(() => text(alice, 'portfolio-badge')).toBe('1');
      await expect.poll(() => alice.getByTestId('fills').innerText()).toContain('AAPL');

      await alice.getByRole('tab', { name: /^Portfolio/ }).click();
      const row = alice.getByTestId('positions').locator('tr[data-symbol=AAPL]');
      await expect.poll(() => row.innerText()).toContain('100');
      expect(await text(alice, 'cash')).toBe(((STARTING_CASH - cost) / 10_000).toFixed(2));
      // Live: the unrealized P&L follows the last price, and is always 100 × (last − average cost).
      const seen = new Set<string>();
      const deadline = Date.now() + 20_000;
      while (seen.size < 3 && Date.now() < deadline) {
        const last = Number(await row.getByTestId('position-last').innerText());
        const unrealized = Number(await row.getByTestId('position-unrealized').innerText());
        // The last price shows 2 of its 4 decimals: 100 shares × up to 0.005 apart. (A tick between the two
        // reads may move them apart further: such a pair is not counted.)
        if (Math.abs(unrealized - (100 * last - cost / 10_000)) <= 0.51) seen.add(unrealized.toFixed(2));
        await alice.waitForTimeout(300);
      }
      expect(seen.size).toBe(3);
      expect(await alice.getByTestId('equity-chart').locator('path').getAttribute('d')).toMatch(/^M0\.0,[\d.]+ L/);
      const allocation = await text(alice, 'allocation');
      expect(allocation).toContain('Technology');
      expect(allocation).toContain('Cash');
      expect(consoleErrors.join('\n')).toBe('');
      await alice.screenshot({ path: join(dashboardDir, 'test-results', 'portfolio.png') });
    },
    TEST_MS,
  );

  it(
    'exports the fills as CSV',
    async () => {
      await alice.getByRole('tab', { name: /^Trading/ }).click();
      const [download] = await Promise.all([alice.waitForEvent('download'), alice.getByTestId('fills-csv').click()]);
      expect(download.suggestedFilename()).toBe('fills-alice.csv');
      const csv = readFileSync((await download.path()) as string, 'utf8')
        .trimEnd()
        .split('\r\n');
      expect(csv[0]).toBe(
        'time,fill_id,order_id,symbol,side,quantity,price,value,order_status,filled_quantity,order_quantity',
      );
      expect(csv).toHaveLength(2);
      expect(csv[1]).toMatch(/,AAPL,buy,100,[\d.]+,[\d.]+,filled,100,100$/);
    },
    TEST_MS,
  );

  it(
    'cancels an open limit order, and shows a rejection of the fill engine with its reason',
    async () => {
      const ticket = alice.getByTestId('order-ticket');
      const msft = await quote(alice, 'MSFT');
      const limit = (Math.round(msft.last * 0.95) / 10_000).toFixed(2);
      await ticket.getByLabel('Symbol').fill('MSFT');
      await ticket.getByLabel('Type').selectOption('limit');
      await ticket.getByLabel('Quantity').fill('10');
      await ticket.getByLabel('Limit price').fill(limit);
      // The keyboard's buy key (outside the fields) opens the same confirmation.
      await alice.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await alice.keyboard.press('b');
      await expect.poll(() => text(alice, 'confirm-text')).toBe(`buy 10 MSFT limit ${Number(limit)}`);
      await alice.getByRole('button', { name: 'Confirm buy' }).click();
      await expect.poll(() => text(alice, 'trading-badge')).toBe('1');
      const placed = (await ordersOf(alice)).find((order) => order.symbol === 'MSFT') as OrderJson;
      await alice.getByRole('button', { name: `Cancel buy 10 MSFT limit ${Number(limit)}` }).click();
      await expect.poll(() => alice.getByTestId('open-orders').innerText()).toContain('cancelling…');
      const stand = { id: placed.id, user: 'alice', symbol: 'MSFT', side: 'buy' as const, quantity: 10 };
      await engine.write({
        updates: [updateOf(stand, 1, 'new'), updateOf(stand, 2, 'cancelled', { reason: 'cancelled by the user' })],
      });
      await expect.poll(() => text(alice, 'trading-badge'), { timeout: 15_000 }).toBe('0');
      await expect
        .poll(() => alice.getByTestId('closed-orders').innerText())
        .toContain('cancelled: cancelled by the user');

      // Too much for the cash: the edge takes it, the fill engine rejects it with the reason.
      await ticket.getByLabel('Quantity').fill('100000');
      await ticket.getByRole('button', { name: 'Buy' }).click();
      await alice.getByRole('button', { name: 'Confirm buy' }).click();
      await until(async () => (await ordersOf(alice)).some((o) => o.quantity === 100_000), 15_000, 'the big order');
      const big = (await ordersOf(alice)).find((o) => o.quantity === 100_000) as OrderJson;
      const reason = `buying power: 100000 MSFT at up to ${limit} needs ${(100_000 * Number(limit)).toFixed(2)}; buying power ${(
        (STARTING_CASH - 0) / 10_000
      ).toFixed(2)}`;
      await engine.write({
        updates: [updateOf({ ...stand, id: big.id, quantity: 100_000 }, 1, 'rejected', { reason })],
      });
      await expect
        .poll(() => alice.getByTestId('trading-toast').last().innerText(), { timeout: 15_000 })
        .toContain(`Order rejected: buy 100000 MSFT (${reason})`);
      await expect.poll(() => alice.getByTestId('closed-orders').innerText()).toContain(`rejected: ${reason}`);
      // A bad order is refused by the edge at once, with its reason, and never reaches Kafka.
      await ticket.getByLabel('Limit price').fill((Number(limit) * 3).toFixed(2));
      await ticket.getByRole('button', { name: 'Buy' }).click();
      await alice.getByRole('button', { name: 'Confirm buy' }).click();
      await expect
        .poll(() => text(alice, 'order-problem'))
        .toMatch(/^price [\d.]+ is more than 20% from MSFT's last price/);
    },
    TEST_MS,
  );

  it(
    'shows the same after a reload and on another edge: the state comes from Kafka',
    async () => {
      await alice.getByRole('tab', { name: /^Portfolio/ }).click();
      const cash = await text(alice, 'cash');
      await alice.getByRole('tab', { name: /^Trading/ }).click();
      const fills = await alice.getByTestId('fills').innerText();
      const closed = await alice.getByTestId('closed-orders').innerText();

      await alice.reload();
      await waitLive(alice);
      await alice.getByRole('tab', { name: /^Trading/ }).click();
      await expect.poll(() => alice.getByTestId('fills').innerText()).toBe(fills);
      expect(await alice.getByTestId('closed-orders').innerText()).toBe(closed);
      await alice.getByRole('tab', { name: /^Portfolio/ }).click();
      await expect.poll(() => text(alice, 'cash')).toBe(cash);

      const other = await startEdge();
      // The same browser on another edge: the cookie was issued for 127.0.0.1, any port.
      await alice.goto(`http://127.0.0.1:${other.port}/`);
      await waitLive(alice);
      await alice.getByRole('tab', { name: /^Portfolio/ }).click();
      await expect.poll(() => text(alice, 'cash')).toBe(cash);
      expect(await alice.getByTestId('positions').locator('tr[data-symbol=AAPL]').innerText()).toContain('100');
      expect(await text(alice, 'portfolio-badge')).toBe('1');
      await alice.getByRole('tab', { name: /^Trading/ }).click();
      await expect.poll(() => alice.getByTestId('fills').innerText()).toBe(fills);
      expect(await alice.getByTestId('closed-orders').innerText()).toBe(closed);
    },
    TEST_MS,
  );

  it(
    'shows bob none of alice’s state, and a viewer cannot trade',
    async () => {
      const bob = await openPage();
      await signIn(bob, 'bob');
      await bob.getByRole('tab', { name: /^Trading/ }).click();
      expect(await bob.getByTestId('open-orders').innerText()).toContain('none');
      expect(await bob.getByTestId('fills').innerText()).toContain('none yet');
      expect(await text(bob, 'trading-badge')).toBe('0');
      await bob.getByRole('tab', { name: /^Portfolio/ }).click();
      expect(await bob.getByTestId('portfolio-empty').innerText()).toMatch(/^No portfolio yet/);
      expect(await bob.getByTestId('trading-toast').count()).toBe(0);

      const vic = await openPage();
      await signIn(vic, 'vic');
      await vic.getByRole('tab', { name: /^Trading/ }).click();
      expect(await vic.getByTestId('order-ticket').getByRole('button', { name: 'Buy' }).isDisabled()).toBe(true);
      expect(await vic.getByTestId('order-ticket').innerText()).toContain('Your role (viewer) may not trade.');
      expect(consoleErrors.join('\n')).toBe('');
      await alice.screenshot({ path: join(dashboardDir, 'test-results', 'trading.png') });
    },
    TEST_MS,
  );
});
