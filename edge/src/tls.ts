import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EdgeStartError } from './startup-error.js';

/** The certificate and key an edge serves https:// and wss:// with. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** What the edge says at start about the certificate it serves. */
export interface TlsCertificate extends TlsFiles {
  subject: string;
  validTo: Date;
}

/**
 * Checks the PEM files before uWebSockets.js sees them. Its SSLApp takes file names and, given a
 * missing file, a key that does not match or a passphrase-protected key, fails later and without
 * saying which file or why; here each of those is one sentence naming the file.
 */
export function checkTlsFiles(files: TlsFiles, now: Date = new Date()): TlsCertificate {
  const read = (path: string, what: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new EdgeStartError(
        `--tls-${what} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
    }
  };
  const certText = read(files.certFile, 'cert');
  const keyText = read(files.keyFile, 'key');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certText);
  } catch (error) {
    throw new EdgeStartError(
      `--tls-cert ${files.certFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----): ${(error as Error).message}`,
    );
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyText);
  } catch (error) {
    // Node asks for a passphrase it has not got, and reports that as "interrupted or cancelled".
    const reason = /ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(keyText)
      ? 'it is encrypted; give the edge an unencrypted key (openssl pkey -in KEY -out PLAIN)'
      : (error as Error).message;
    throw new EdgeStartError(`--tls-key ${files.keyFile} is not a usable PEM private key: ${reason}`);
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new EdgeStartError(`--tls-key ${files.keyFile} is not the key of the certificate in ${files.certFile}`);
  }
  const validTo = new Date(certificate.validTo);
  if (validTo.getTime() < now.getTime()) {
    throw new EdgeStartError(`the certificate in ${files.certFile} expired on ${validTo.toISOString()}`);
  }
  return { ...files, subject: certificate.subject.replace(/\n/g, ', '), validTo };
}
