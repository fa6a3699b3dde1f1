import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate made at test time (never checked in), with its key and what Chromium needs to
 * trust it: the base64 SHA-256 of its public key, for `--ignore-certificate-errors-spki-list`. */
export interface TestCertificate {
  /** PEM: the certificate, then the test CA that signed it. */
  chain: string;
  /** PEM (PKCS #8). */
  privateKey: string;
  spki: string;
  /** PEM: the test CA alone, as a customer uploads a private origin's CA. */
  ca: string;
}

function openssl(args: string[], input?: string | Buffer): Buffer {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

/** A P-256 certificate for `names` (DNS names, wildcards allowed), valid for `days` from now,
 * signed by a fresh test CA. openssl, not a library: Debian has it, and the test then trusts
 * only the certificate's own key. */
export function makeCertificate(names: string[], days = 90): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), "e2e-cert-"));
  const at = (file: string) => join(dir, file);
  try {
    const newKey = (file: string) => openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", at(file)]);
    newKey("ca.key");
    openssl(["req", "-x509", "-new", "-key", at("ca.key"), "-subj", "/CN=Edgeport end-to-end test CA", "-days", "365", "-out", at("ca.pem")]);
    newKey("leaf.key");
    openssl(["req", "-new", "-key", at("leaf.key"), "-subj", `/CN=${names[0]}`, "-out", at("leaf.csr")]);
    const extensions = `subjectAltName=${names.map((name) => `DNS:${name}`).join(",")}\nbasicConstraints=critical,CA:FALSE\n`;
    writeFileSync(at("leaf.ext"), extensions);
    openssl(["x509", "-req", "-in", at("leaf.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial", "-days", String(days), "-extfile", at("leaf.ext"), "-out", at("leaf.pem")]);
    const publicKey = openssl(["pkey", "-in", at("leaf.key"), "-pubout", "-outform", "DER"]);
    const spki = openssl(["dgst", "-sha256", "-binary"], publicKey).toString("base64");
    const ca = readFileSync(at("ca.pem"), "utf8");
    return { chain: readFileSync(at("leaf.pem"), "utf8") + ca, privateKey: readFileSync(at("leaf.key"), "utf8"), spki, ca };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
