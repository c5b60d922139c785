import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestCertificates } from '../../broker/src/testing/certificates.js';
import { until } from '../../broker/src/testing/until.js';
import { parseAddressList } from './client-limits.js';
import { checkTlsFiles } from './tls.js';

// Bad TLS files and bad --trust-proxy entries are refused before the edge listens, each with one
// sentence naming what is wrong (real files made by openssl).
const cli = fileURLToPath(new URL('../../cli/bin/tickstream.js', import.meta.url));
const mine = makeTestCertificates();
const other = makeTestCertificates();
afterAll(() => {
  mine.remove();
  other.remove();
});

describe('checkTlsFiles', () => {
  it('accepts a certificate and its key, and names the subject and expiry', () => {
    const checked = checkTlsFiles({ certFile: mine.certFile, keyFile: mine.keyFile });
    expect(checked.subject).toBe('CN=localhost');
    expect(checked.validTo.getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses a missing file, a file without PEM, a key of another certificate, an encrypted key, an expired certificate', () => {
    const check = (certFile: string, keyFile: string, now?: Date) => () => checkTlsFiles({ certFile, keyFile }, now);
    expect(check(join(mine.dir, 'nope.crt'), mine.keyFile)).toThrow(/--tls-cert .*nope\.crt cannot be read \(ENOENT\)/);
    const notPem = join(mine.dir, 'not.pem');
    writeFileSync(notPem, 'hello\n');
    expect(check(notPem, mine.keyFile)).toThrow(/--tls-cert .*not\.pem holds no PEM certificate/);
    expect(check(mine.certFile, notPem)).toThrow(/--tls-key .*not\.pem is not a usable PEM private key/);
    expect(check(mine.certFile, other.keyFile)).toThrow(/is not the key of the certificate in/);
    const encrypted = join(mine.dir, 'encrypted.key');
    execFileSync('openssl', ['pkey', '-in', mine.keyFile, '-aes256', '-passout', 'pass:secret', '-out', encrypted]);
    expect(check(mine.certFile, encrypted)).toThrow(/it is encrypted; give the edge an unencrypted key/);
    // Made valid for two days: three days on, it has expired.
    expect(check(mine.certFile, mine.keyFile, new Date(Date.now() + 3 * 86_400_000))).toThrow(/expired on/);
  });

  it('makes tickstream edge exit at start naming the problem', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, [cli, 'edge', '--port', '0', ...args], { encoding: 'utf8' });
    const half = run(['--tls-cert', mine.certFile]);
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('--tls-cert and --tls-key go together');
    const wrongKey = run(['--tls-cert', mine.certFile, '--tls-key', other.keyFile]);
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stderr).toContain('is not the key of the certificate');
    const badProxy = run(['--trust-proxy', '10.0.0.0/40']);
    expect(badProxy.status).toBe(2);
    expect(badProxy.stderr).toContain("--trust-proxy: '10.0.0.0/40' has a bad prefix length (0-32)");
  });
});

/** GET over TLS trusting only `ca` (fetch takes no per-request CA): the status, or the error's message. */
function httpsStatus(url: string, ca: string): Promise<number | string> {
  return new Promise((resolve) => {
    get(url, { ca }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', (error) => resolve(error.message));
  });
}

describe('tickstream edge --tls-cert --tls-key', () => {
  it('serves https:// with that certificate from its start line on, before Kafka answers', async () => {
    // No Kafka at this address: the edge listens at once and stays unready (docs/operations.md).
    const edge = spawn(
      process.execPath,
      [cli, 'edge', '--host', '127.0.0.1', '--port', '0', '--brokers', '127.0.0.1:1'].concat([
        '--tls-cert',
        mine.certFile,
        '--tls-key',
        mine.keyFile,
      ]),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    for (const stream of [edge.stdout, edge.stderr])
      stream.setEncoding('utf8').on('data', (text: string) => {
        output += text;
      });
    try {
      await until(
        () => /listening on https:\/\/[^:]+:\d+ \(wss at \/ws\)/.test(output),
        20_000,
        () => output,
      );
      const port = /listening on https:\/\/[^:]+:(\d+)/.exec(output)?.[1];
      const ca = readFileSync(mine.caFile, 'utf8');
      expect(await httpsStatus(`https://127.0.0.1:${port}/livez`, ca)).toBe(200);
      expect(await httpsStatus(`https://127.0.0.1:${port}/readyz`, ca)).toBe(503);
      // Another CA's trust does not do: this is the certificate it was given.
      expect(await httpsStatus(`https://127.0.0.1:${port}/livez`, readFileSync(other.caFile, 'utf8'))).toMatch(
        /certificate/,
      );
    } finally {
      edge.kill('SIGINT');
      await new Promise((resolve) => edge.once('close', resolve));
    }
  }, 30_000);
});

describe('parseAddressList', () => {
  it('takes addresses and CIDRs of both families, refuses anything else', () => {
    const list = parseAddressList(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(list.check('10.20.30.40', 'ipv4')).toBe(true);
    expect(list.check('192.168.1.7', 'ipv4')).toBe(true);
    expect(list.check('192.168.1.8', 'ipv4')).toBe(false);
    expect(list.check('fd12::1', 'ipv6')).toBe(true);
    expect(() => parseAddressList(['proxy.local'])).toThrow(/'proxy.local' is not an IP address or CIDR/);
    expect(() => parseAddressList(['fd00::/129'])).toThrow(/bad prefix length \(0-128\)/);
  });
});
