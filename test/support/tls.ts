/** A self-signed certificate for localhost and 127.0.0.1, written as cert.pem / key.pem into a directory. */
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface LocalCertificate {
  certFile: string;
  keyFile: string;
  /** The certificate, to trust as the CA of a client. */
  ca: string;
}

export async function writeLocalCertificate(dir: string): Promise<LocalCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  fs.writeFileSync(certFile, pems.cert);
  fs.writeFileSync(keyFile, pems.private);
  return { certFile, keyFile, ca: pems.cert };
}
