import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** The PEM files of a self-signed certificate and its private key. */
export interface CertificateFiles {
  certificateFile: string;
  keyFile: string;
}

/**
 * Makes a self-signed RSA certificate, valid two days, with the openssl command line (as an operator
 * would), as `<name>.crt` and `<name>.key` in `directory`.
 */
export function selfSignedCertificate(directory: string, name: string): CertificateFiles {
  const keyFile = join(directory, `${name}.key`);
  const certificateFile = join(directory, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certificateFile,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { certificateFile, keyFile };
}
