import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestCertificates {
  /** The CA that signed the server certificate (PEM): what `sslrootcert` should name. */
  ca: string;
  /** Another CA, unrelated to the server: verifying with it must fail. */
  otherCa: string;
  /** Server certificate for CN 127.0.0.1 with SAN IP:127.0.0.1 and DNS:localhost, and its key. */
  serverCert: string;
  serverKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], dir);
  return { cert, key };
}

/**
 * Makes a CA, a server certificate it signs (for 127.0.0.1 and localhost), and an
 * unrelated second CA, with the `openssl` command line, in `dir`.
 */
export function generateTestCertificates(dir: string): TestCertificates {
  fs.mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'hesap-test-ca');
  const other = makeCa(dir, 'hesap-other-ca');
  const serverKey = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const serverCert = path.join(dir, 'server.crt');
  const ext = path.join(dir, 'server.ext');
  fs.writeFileSync(ext, 'subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', serverKey, '-out', csr, '-subj', '/CN=127.0.0.1'], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', serverCert, '-days', '2', '-extfile', ext], dir);
  return { ca: ca.cert, otherCa: other.cert, serverCert, serverKey };
}
