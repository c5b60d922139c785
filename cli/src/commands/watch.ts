import { triggerJson } from '@tickstream/edge';
import {
  type AlertTriggerFields,
  DeltaField,
  type MarketEventFields,
  MarketEventKind,
  marketEventJson,
} from '@tickstream/schemas';
import type { Command, Flags } from '../command.js';
import { parseDurationMs, parseInteger } from '../option-values.js';
import { UsageError } from '../usage-error.js';
import { EdgeClient } from '../watch/edge-client.js';

const FIELD_NAMES = Object.entries(DeltaField).map(
  ([name, bit]) => [bit, name[0]?.toLowerCase() + name.slice(1)] as const,
);
const TABLE_REFRESH_MS = 250;
const TABLE_ROWS = 40;

/** One symbol's state as a JSON line: prices in currency units (the Hello's price scale applied). */
function quoteJson(client: EdgeClient, id: number, type: 'snapshot' | 'update', seq: number, mask: number): string {
  const t = client.table;
  const scale = client.hello?.priceScale ?? 1;
  const price = (value: number): number => (value as number) / scale;
  return JSON.stringify({
    type,
    symbol: client.names.get(id) ?? `#${id}`,
    epoch: client.hello?.epoch ?? 0,
    seq,
    last: price(t.last[id] as number),
    bid: price(t.bid[id] as number),
    ask: price(t.ask[id] as number),
    open: price(t.open[id] as number),
    high: price(t.high[id] as number),
    low: price(t.low[id] as number),
    volume: t.volume[id],
    ticks: t.ticks[id],
    exchangeTimeUs: t.timeUs[id],
    ...(type === 'update' ? { changed: FIELD_NAMES.filter(([bit]) => mask & bit).map(([, name]) => name) } : {}),
  });
}

/**
 * One market event as a JSON line: the shape /api/events and the dashboard use (kind and source by
 * name, evidence flattened) plus `time`, ISO-8601, which `watch --events --json` promises (issue 19).
 */
export function watchEventJson(event: MarketEventFields): string {
  return JSON.stringify({ ...marketEventJson(event), time: new Date(event.timeUs / 1000).toISOString() });
}

function marketEventLine(event: MarketEventFields): string {
  const time = new Date(event.timeUs / 1000).toISOString().slice(11, 23);
  const kind = MarketEventKind[event.kind] ?? `Unknown${event.kind}`;
  const what = [event.symbol || event.sector, event.name].filter((part) => part !== '').join(' ');
  return `${time} ${kind.padEnd(14)} ${what}${event.detail ? `: ${event.detail}` : ''}`;
}

/** The live table: the most recently updated symbols first, as many as fit. */
function renderTable(client: EdgeClient, recent: Map<number, number>, updates: number, tty: boolean): string {
  const scale = client.hello?.priceScale ?? 1;
  const t = client.table;
  const rows = [...recent.entries()].sort((a, b) => b[1] - a[1]).slice(0, tty ? TABLE_ROWS : 0);
  const pad = (text: string, width: number): string => text.padStart(width);
  const lines = [
    `edge ${client.hello?.edgeId ?? '?'} epoch ${client.hello?.epoch ?? '?'} seq ${client.lastSeq}  ${client.names.size} symbols  ${updates} updates  ${client.resyncs} resyncs  ${client.reconnects} reconnects`,
  ];
  if (!tty) return lines[0] as string;
  lines.push(
    `${'symbol'.padEnd(8)}${pad('last', 12)}${pad('chg %', 9)}${pad('bid', 12)}${pad('ask', 12)}${pad('volume', 12)}${pad('ticks', 9)}`,
  );
  for (const [id] of rows) {
    const last = (t.last[id] as number) / scale;
    const open = (t.open[id] as number) / scale;
    const change = open > 0 ? ((last - open) / open) * 100 : 0;
    lines.push(
      `${(client.names.get(id) ?? `#${id}`).padEnd(8)}${pad(last.toFixed(2), 12)}${pad(change.toFixed(2), 9)}` +
        `${pad(((t.bid[id] as number) / scale).toFixed(2), 12)}${pad(((t.ask[id] as number) / scale).toFixed(2), 12)}` +
        `${pad(String(t.volume[id]), 12)}${pad(String(t.ticks[id]), 9)}`,
    );
  }
  return lines.join('\n');
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Watch an edge: the reference client of docs/protocol.md (live table, or one JSON object per update).',
  flags: {
    url: { type: 'string', value: 'URL', description: 'the edge’s WebSocket', default: 'ws://127.0.0.1:8080/ws' },
    symbols: { type: 'string', value: 'SYM,…', description: 'symbols to follow; * for every symbol', default: '*' },
    sectors: { type: 'string', value: 'SECTOR,…', description: 'sectors to follow (in addition to --symbols)' },
    count: { type: 'string', value: 'N', description: 'exit 0 after N applied updates' },
    json: {
      type: 'boolean',
      description: 'one JSON object per line: each symbol of a Snapshot ("type":"snapshot"), each applied update',
    },
    events: {
      type: 'boolean',
      description:
        'print market events instead of quotes: the producer’s announcements and the analytics job’s detections',
    },
    timeout: { type: 'string', value: 'DURATION', description: 'exit 1 if no update arrives for this long' },
    token: {
      type: 'string',
      value: 'TOKEN',
      description: 'a JWT for an edge that needs one (tickstream token, POST /api/login; env TICKSTREAM_TOKEN)',
    },
    alerts: {
      type: 'boolean',
      description:
        "the token's user's alert triggers instead of quotes: the recent ones, then each as it fires (with --json: one trigger object per line)",
    },
  },
  notes:
    'Status, gaps, resyncs and reconnects go to stderr, so --json output on stdout is only JSON lines.\n' +
    '--count counts Delta updates, not the rows of a Snapshot; with --events, events; with --alerts, triggers.\n' +
    '--timeout waits for whichever of them is printed.\n' +
    '--events --json: {"kind","source","symbol","sector","name","detail","time","timeUs",…evidence} per event (docs/api.md, /api/events).\n' +
    'Triggers: {"id","ruleId","symbol","kind","value","price","time"} (time in ms since the epoch; docs/api.md).',
  async run(flags) {
    if (flags.boolean('alerts')) return watchAlerts(flags);
    const count =
      flags.string('count') === undefined
        ? null
        : parseInteger('count', flags.required('count'), { min: 1, max: Number.MAX_SAFE_INTEGER });
    const timeoutMs =
      flags.string('timeout') === undefined ? null : parseDurationMs('timeout', flags.required('timeout'));
    if (timeoutMs !== null && timeoutMs <= 0) throw new UsageError('--timeout must be a positive duration such as 10s');
    const list = (raw: string | undefined): string[] =>
      (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    const events = flags.boolean('events');
    // Market events reach every connection: --events subscribes to no quotes.
    const symbols = events ? [] : list(flags.string('symbols'));
    const sectors = events ? [] : list(flags.string('sectors'));
    if (!events && symbols.length === 0 && sectors.length === 0)
      throw new UsageError('--symbols or --sectors must name something to follow');
    const url = edgeUrl(flags.required('url'));
    // In a header, not ?token=: the URL is printed in status lines and logged by proxies.
    const token = flags.string('token') ?? process.env.TICKSTREAM_TOKEN;
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};

    const json = flags.boolean('json');
    const tty = process.stdout.isTTY === true && !json && !events;
    const recent = new Map<number, number>();
    let updates = 0;
    let lastUpdateMs = Date.now();

    return new Promise<number>((resolve) => {
      let redraw: NodeJS.Timeout | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (code: number): void => {
        if (done) return;
        done = true;
        clearInterval(redraw);
        clearInterval(watchdog);
        client.stop();
        process.off('SIGINT', interrupted);
        process.off('SIGTERM', interrupted);
        if (!json && !events) process.stdout.write(`${renderTable(client, recent, updates, false)}\n`);
        resolve(code);
      };
      const interrupted = (): void => finish(0);
      const client = new EdgeClient(
        url.href,
        { symbols, sectors },
        {
          snapshot(c, ids) {
            if (json && !done)
              for (const id of ids) process.stdout.write(`${quoteJson(c, id, 'snapshot', c.lastSeq, 0)}\n`);
          },
          update(c, id, mask, seq) {
            // The rest of a Delta after --count is reached is applied but not printed.
            if (done) return;
            updates++;
            lastUpdateMs = Date.now();
            if (json) process.stdout.write(`${quoteJson(c, id, 'update', seq, mask)}\n`);
            else recent.set(id, updates);
            if (count !== null && updates >= count) finish(0);
          },
          status(line) {
            process.stderr.write(`watch: ${line}\n`);
          },
          ...(events
            ? {
                marketEvent(event: MarketEventFields) {
                  if (done) return;
                  updates++;
                  lastUpdateMs = Date.now();
                  process.stdout.write(`${json ? watchEventJson(event) : marketEventLine(event)}\n`);
                  if (count !== null && updates >= count) finish(0);
                },
              }
            : {}),
        },
        { headers },
      );
      process.on('SIGINT', interrupted);
      process.on('SIGTERM', interrupted);
      if (!json && !events) {
        redraw = setInterval(
          () => {
            const table = renderTable(client, recent, updates, tty);
            process.stdout.write(tty ? `\x1b[H\x1b[2J${table}\n` : `${table}\n`);
          },
          tty ? TABLE_REFRESH_MS : 1000,
        );
      }
      if (timeoutMs !== null) {
        watchdog = setInterval(
          () => {
            if (Date.now() - lastUpdateMs < timeoutMs) return;
            process.stderr.write(
              `watch: no ${events ? 'event' : 'update'} for ${timeoutMs} ms (--timeout); giving up\n`,
            );
            finish(1);
          },
          Math.min(timeoutMs, 500),
        );
      }
      client.start();
    });
  },
};

/** The edge's WebSocket URL from --url, or a usage error saying what is wrong with it. */
function edgeUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be a WebSocket URL such as ws://127.0.0.1:8080/ws, got '${raw}'`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:')
    throw new UsageError(`--url must start with ws:// or wss://, got '${url.href}'`);
  return url;
}

function triggerLine(trigger: AlertTriggerFields): string {
  const time = new Date(trigger.timeMs).toISOString();
  return `${time}  ${trigger.symbol.padEnd(8)} ${trigger.kind.padEnd(16)} value ${trigger.value}  price ${trigger.price}  (rule ${trigger.ruleId})${trigger.detail ? `  ${trigger.detail}` : ''}`;
}

/**
 * `watch --alerts`: the user's triggers, one per line: those the edge holds (it reads
 * alert_events, so triggers that fired while nobody watched are there), then each new one. A
 * trigger is printed once even across reconnects.
 */
function watchAlerts(flags: Flags): Promise<number> {
  const count =
    flags.string('count') === undefined
      ? null
      : parseInteger('count', flags.required('count'), { min: 1, max: Number.MAX_SAFE_INTEGER });
  const timeoutMs =
    flags.string('timeout') === undefined ? null : parseDurationMs('timeout', flags.required('timeout'));
  if (timeoutMs !== null && timeoutMs <= 0) throw new UsageError('--timeout must be a positive duration such as 10s');
  const url = edgeUrl(flags.required('url'));
  const token = flags.string('token') ?? process.env.TICKSTREAM_TOKEN;
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const json = flags.boolean('json');
  const printed = new Set<string>();
  let lastTriggerMs = Date.now();

  return new Promise<number>((resolve) => {
    let watchdog: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      clearInterval(watchdog);
      client.stop();
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      resolve(code);
    };
    const interrupted = (): void => finish(0);
    const print = (trigger: AlertTriggerFields): void => {
      if (done || printed.has(trigger.id)) return;
      printed.add(trigger.id);
      lastTriggerMs = Date.now();
      process.stdout.write(`${json ? JSON.stringify(triggerJson(trigger)) : triggerLine(trigger)}\n`);
      if (count !== null && printed.size >= count) finish(0);
    };
    const client = new EdgeClient(
      url.href,
      { symbols: [], sectors: [] },
      {
        snapshot() {},
        update() {},
        status(line) {
          process.stderr.write(`watch: ${line}\n`);
        },
        alerts(listing) {
          process.stderr.write(
            `watch: ${listing.rules.length} alert rules, ${listing.triggers.length} recent triggers\n`,
          );
          for (const trigger of listing.triggers) print(trigger);
        },
        trigger: print,
      },
      { alerts: true, headers },
    );
    process.on('SIGINT', interrupted);
    process.on('SIGTERM', interrupted);
    if (timeoutMs !== null) {
      watchdog = setInterval(
        () => {
          if (Date.now() - lastTriggerMs < timeoutMs) return;
          process.stderr.write(`watch: no trigger for ${timeoutMs} ms (--timeout); giving up\n`);
          finish(1);
        },
        Math.min(timeoutMs, 500),
      );
    }
    client.start();
  });
}
