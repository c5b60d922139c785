import { readFileSync } from 'node:fs';
import {
  type AlertTriggerFields,
  AnalyticsState,
  DeltaField,
  ErrorCode,
  type MarketEventFields,
  MarketEventKind,
  marketEventJson,
  type QuoteBook,
  ReplayState,
  TickstreamClient,
} from '@tickstream/client';
import { triggerJson } from '@tickstream/edge';
import WebSocket from 'ws';
import type { Command, Flags } from '../command.js';
import { parseDurationMs, parseInteger } from '../option-values.js';
import { UsageError } from '../usage-error.js';

const FIELD_NAMES = Object.entries(DeltaField).map(
  ([name, bit]) => [bit, name[0]?.toLowerCase() + name.slice(1)] as const,
);
const TABLE_REFRESH_MS = 250;
const TABLE_ROWS = 40;

/** One symbol's state as a JSON line: prices in currency units (the Hello's price scale applied). */
function quoteJson(
  client: TickstreamClient,
  book: QuoteBook,
  id: number,
  type: 'snapshot' | 'update',
  seq: number,
  mask: number,
): string {
  const t = book.table;
  const scale = client.hello?.priceScale ?? 1;
  const price = (value: number): number => (value as number) / scale;
  return JSON.stringify({
    type,
    symbol: book.names[id] || `#${id}`,
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
    ...(book.replay ? { replay: true } : {}),
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

/** The table: the most recently updated symbols first, as many as fit. */
function renderTable(
  client: TickstreamClient,
  book: QuoteBook,
  recent: Map<number, number>,
  updates: number,
  tty: boolean,
): string {
  const scale = client.hello?.priceScale ?? 1;
  const t = book.table;
  const rows = [...recent.entries()].sort((a, b) => b[1] - a[1]).slice(0, tty ? TABLE_ROWS : 0);
  const pad = (text: string, width: number): string => text.padStart(width);
  const clock = client.replay.status;
  const lines = [
    `${book.replay && clock ? `REPLAY ${clock.speed}× ${new Date(clock.clockUs / 1000).toISOString()}  ` : ''}edge ${client.hello?.edgeId ?? '?'} epoch ${client.hello?.epoch ?? '?'} seq ${book.seq}  ${book.names.filter((name) => name !== '').length} symbols  ${updates} updates  ${client.counters.resyncs} resyncs  ${client.counters.reconnects} reconnects`,
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
      `${(book.names[id] || `#${id}`).padEnd(8)}${pad(last.toFixed(2), 12)}${pad(change.toFixed(2), 9)}` +
        `${pad(((t.bid[id] as number) / scale).toFixed(2), 12)}${pad(((t.ask[id] as number) / scale).toFixed(2), 12)}` +
        `${pad(String(t.volume[id]), 12)}${pad(String(t.ticks[id]), 9)}`,
    );
  }
  return lines.join('\n');
}

/**
 * A client of the edge at `url` (@tickstream/client over `ws`), its connection news and the
 * edge's Error frames said on stderr, and its market events too unless `events` prints them. A
 * refused handshake (401, 503 while loading) is said with the edge's answer, then retried like
 * any close. `ca`: PEM CAs to trust for wss:// besides Node's (a self-signed edge: --ca).
 */
function watchClient(
  url: string,
  connection: { headers: Record<string, string>; ca: string | null },
  subscription: { symbols: string[]; sectors: string[]; alerts?: boolean; events?: boolean },
): TickstreamClient {
  const { headers, ca } = connection;
  const status = (line: string): void => {
    process.stderr.write(`watch: ${line}\n`);
  };
  const client = new TickstreamClient({
    url,
    symbols: subscription.symbols,
    sectors: subscription.sectors,
    alerts: subscription.alerts ?? false,
    createSocket(target) {
      const socket = new WebSocket(target, { perMessageDeflate: false, headers, ...(ca ? { ca } : {}) });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME/.test(error.code ?? ''))
          status(`connection error: ${error.message} (trust the edge’s CA with --ca FILE or NODE_EXTRA_CA_CERTS=FILE)`);
      });
      socket.on('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => {
          status(`the edge refused the connection: ${response.statusCode} ${body.trim()}`);
          // ws leaves a refused handshake open when this event has a listener: end it, so we retry.
          socket.terminate();
        });
      });
      return socket;
    },
  });
  let epoch: number | null = null;
  client.on('state', (state, detail) => {
    if (state === 'reconnecting' && detail.startsWith('connection closed')) status(detail);
  });
  client.on('hello', (hello) => {
    status(`connected to ${url}`);
    if (subscription.alerts && hello.protocolVersion < 2)
      status(`edge ${hello.edgeId} speaks protocol ${hello.protocolVersion}: it has no alerts`);
    if (epoch !== null && epoch !== hello.epoch)
      status(`new epoch ${hello.epoch} from edge ${hello.edgeId}: starting again from a Snapshot`);
    epoch = hello.epoch;
  });
  client.on('gap', (book, expected, got) => {
    status(`gap: ${book.replay ? 'replay ' : ''}Delta ${got} where ${expected} was due; resyncing`);
  });
  client.on('problem', (problem) => status(problem.message));
  client.on('error', (error) => status(`edge error ${error.code}: ${error.message}`));
  client.on('event', (event) => {
    if (subscription.events) return;
    status(
      `${event.replay ? 'replayed ' : ''}market event: ${event.name} ${event.symbol || event.sector} ${event.detail}`.trim(),
    );
  });
  client.on('analytics', (analytics) => {
    // After Hello and on every change: whether the analytics job's figures are live.
    status(`analytics ${AnalyticsState[analytics.state] ?? analytics.state}: ${analytics.detail}`);
  });
  return client;
}

/** An ISO 8601 time (or ms since the epoch) as µs, or a usage error. */
function timeFlagUs(flag: string, raw: string): number {
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms))
    throw new UsageError(`--${flag} must be an ISO time such as 2026-12-07T14:31:00Z, got '${raw}'`);
  return ms * 1000;
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
    ca: {
      type: 'string',
      value: 'FILE',
      description: 'PEM CA certificate(s) to trust for wss:// (a self-signed edge; or NODE_EXTRA_CA_CERTS)',
    },
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
    'replay-from': {
      type: 'string',
      value: 'TIME',
      description: 'replay what Kafka retains from this ISO time instead of the live market (lines get "replay":true)',
    },
    'replay-to': {
      type: 'string',
      value: 'TIME',
      description: 'where the replay ends (default: when it catches up with live)',
    },
    speed: { type: 'string', value: 'X', description: 'replay speed, 0.25-100 event seconds per second', default: '1' },
  },
  notes:
    'Status, gaps, resyncs and reconnects go to stderr, so --json output on stdout is only JSON lines.\n' +
    '--count counts Delta updates, not the rows of a Snapshot; with --events, events; with --alerts, triggers.\n' +
    '--timeout waits for whichever of them is printed.\n' +
    '--events --json: {"kind","source","symbol","sector","name","detail","time","timeUs",…evidence} per event (docs/api.md, /api/events).\n' +
    'With --replay-from, watch exits 0 when the replay ends (--replay-to, or caught up) and 1 if the edge stops it.\n' +
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
    const replayFrom = flags.string('replay-from');
    const replay =
      replayFrom === undefined
        ? null
        : {
            fromUs: timeFlagUs('replay-from', replayFrom),
            toUs: flags.string('replay-to') === undefined ? 0 : timeFlagUs('replay-to', flags.required('replay-to')),
            speed: Number(flags.required('speed')),
          };
    if (replay !== null && events)
      throw new UsageError('--events prints live market events: it does not go with --replay-from');
    if (replay !== null && !(replay.speed >= 0.25 && replay.speed <= 100))
      throw new UsageError(`--speed must be a number from 0.25 to 100, got '${flags.string('speed')}'`);
    const url = edgeUrl(flags.required('url'));
    const ca = trustedCa(flags, url);
    // In a header, not ?token=: the URL is printed in status lines and logged by proxies.
    const token = flags.string('token') ?? process.env.TICKSTREAM_TOKEN;
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};

    const json = flags.boolean('json');
    const tty = process.stdout.isTTY === true && !json && !events;
    const recent = new Map<number, number>();
    let updates = 0;
    let lastUpdateMs = Date.now();
    // A replay follows nothing live: its own subscription rides on ReplayStart.
    const client = watchClient(
      url.href,
      { headers, ca },
      replay === null ? { symbols, sectors, events } : { symbols: [], sectors: [] },
    );
    const book = replay === null ? client.live : client.replayBook;

    return new Promise<number>((resolve) => {
      let redraw: NodeJS.Timeout | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (code: number): void => {
        if (done) return;
        done = true;
        clearInterval(redraw);
        clearInterval(watchdog);
        client.close();
        process.off('SIGINT', interrupted);
        process.off('SIGTERM', interrupted);
        if (!json && !events) process.stdout.write(`${renderTable(client, book, recent, updates, false)}\n`);
        resolve(code);
      };
      const interrupted = (): void => finish(0);
      client.on('snapshot', (snapshot) => {
        if (snapshot !== book || !json || done) return;
        for (let id = 0; id < snapshot.size; id++)
          if (snapshot.names[id] !== '')
            process.stdout.write(`${quoteJson(client, snapshot, id, 'snapshot', snapshot.seq, 0)}\n`);
      });
      client.on('update', (batch) => {
        if (batch.book !== book) return;
        for (let i = 0; i < batch.count; i++) {
          // The rest of a Delta after --count is reached is applied but not printed.
          if (done) return;
          const id = batch.ids[i] as number;
          updates++;
          lastUpdateMs = Date.now();
          if (json)
            process.stdout.write(`${quoteJson(client, book, id, 'update', batch.seq, batch.masks[i] as number)}\n`);
          else recent.set(id, updates);
          if (count !== null && updates >= count) finish(0);
        }
      });
      if (events)
        client.on('event', (event) => {
          if (done) return;
          const { replay: _replay, ...fields } = event;
          updates++;
          lastUpdateMs = Date.now();
          process.stdout.write(`${json ? watchEventJson(fields) : marketEventLine(fields)}\n`);
          if (count !== null && updates >= count) finish(0);
        });
      if (replay !== null) {
        let said: ReplayState | null = null;
        // Sent with every Hello (the client starts a replay again where its clock was after a reconnect).
        client.replay.start({ ...replay, symbols, sectors });
        client.on('replay', (status) => {
          if (status.state !== said)
            process.stderr.write(
              `watch: replay ${ReplayState[status.state]} at ${new Date(status.clockUs / 1000).toISOString()}: ${status.detail}\n`,
            );
          said = status.state;
          if (status.state === ReplayState.Ended) finish(0);
          if (status.state === ReplayState.Stopped) finish(1);
        });
        client.on('error', (error) => {
          // A replay the edge refused (a time it does not hold, too many replays) will not come.
          if (error.code === ErrorCode.InvalidReplay || error.code === ErrorCode.ReplayLimit) finish(1);
        });
      }
      process.on('SIGINT', interrupted);
      process.on('SIGTERM', interrupted);
      if (!json && !events) {
        redraw = setInterval(
          () => {
            const table = renderTable(client, book, recent, updates, tty);
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
      client.connect();
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

/** `--ca FILE`: the PEM certificates to trust for a wss:// edge, checked before connecting. */
function trustedCa(flags: Flags, url: URL): string | null {
  const caFile = flags.string('ca');
  if (caFile === undefined) return null;
  let ca: string;
  try {
    ca = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca ${caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`--ca ${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  if (url.protocol !== 'wss:') throw new UsageError(`--ca is for wss:// URLs, not ${url.protocol}//`);
  return ca;
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
  const ca = trustedCa(flags, url);
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
      client.close();
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
    const client = watchClient(url.href, { headers, ca }, { symbols: [], sectors: [], alerts: true });
    client.on('alerts', (listing) => {
      process.stderr.write(`watch: ${listing.rules.length} alert rules, ${listing.triggers.length} recent triggers\n`);
      for (const trigger of listing.triggers) print(trigger);
    });
    client.on('alert', print);
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
    client.connect();
  });
}
