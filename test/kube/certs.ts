import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Paths of the PKI files one control plane needs, all inside one folder. */
export type Certs = {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
};

/**
 * Creates a throwaway CA, the apiserver's serving certificate and the
 * service-account signing key with the openssl CLI (Node can make keys but
 * not X.509 certificates). EC P-256 keys take milliseconds where RSA takes a
 * noticeable fraction of a second. Clients authenticate with bearer tokens,
 * so no client certificates are needed.
 */
export async function generateCerts(dir: string): Promise<Certs> {
  const certs: Certs = {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    servingCert: join(dir, "apiserver.crt"),
    servingKey: join(dir, "apiserver.key"),
    serviceAccountKey: join(dir, "service-account.key"),
    serviceAccountPub: join(dir, "service-account.pub"),
  };
  const ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc";
  await openssl("req -x509 -days 2 -subj /CN=slipway-test-ca", ec, [
    "-keyout",
    certs.caKey,
    "-out",
    certs.caCert,
  ]);
  // Clients reach the apiserver as 127.0.0.1 or localhost; the in-cluster
  // names matter only to pods, which kwok never runs, but cost nothing.
  const names = ["IP:127.0.0.1", "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default"];
  await openssl(
    "req -x509 -days 2 -subj /CN=kube-apiserver",
    ec,
    ["-CA", certs.caCert, "-CAkey", certs.caKey],
    `-addext subjectAltName=${names.join(",")}`,
    "-addext extendedKeyUsage=serverAuth -addext basicConstraints=critical,CA:FALSE",
    ["-keyout", certs.servingKey, "-out", certs.servingCert],
  );
  await openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1", [
    "-out",
    certs.serviceAccountKey,
  ]);
  await openssl("pkey -pubout", ["-in", certs.serviceAccountKey, "-out", certs.serviceAccountPub]);
  return certs;
}

/** Runs openssl. Strings are split on spaces; arrays (which hold paths) are passed as they are. */
async function openssl(...parts: (string | readonly string[])[]): Promise<void> {
  await run(
    "openssl",
    parts.flatMap((part) => (typeof part === "string" ? part.split(" ") : part)),
  );
}
