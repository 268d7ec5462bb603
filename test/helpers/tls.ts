import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for 127.0.0.1 (openssl), for a gateway with TLS_CERT_FILE/TLS_KEY_FILE. */
export function selfSignedCertificate(): { certFile: string; keyFile: string; ca: Buffer; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { certFile, keyFile, ca: readFileSync(certFile), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
