import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/**
 * scrypt cost: N=2^14, r=8, p=1 is the interactive-login setting from the scrypt paper and
 * OWASP's minimum; it takes ~50 ms and 16 MiB per hash.
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt
 */
const defaults = { N: 16_384, r: 8, p: 1 } as const;
const keyLength = 32;
const prefix = "scrypt";

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }) {
  const options: ScryptOptions = { ...cost, maxmem: 128 * cost.N * cost.r * 2 };
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, keyLength, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a password with a fresh random salt: `scrypt$N$r$p$salt$key` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, defaults);
  const { N, r, p } = defaults;
  return [prefix, N, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Whether a string has the shape `hashPassword` produces. */
export function isPasswordHash(value: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/.test(value);
}

/** Checks a password against a stored hash in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (!isPasswordHash(stored)) return false;
  const [, n, r, p, salt, key] = stored.split("$");
  const expected = Buffer.from(key ?? "", "base64url");
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const actual = await derive(password, Buffer.from(salt ?? "", "base64url"), cost);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// Verified when the username is unknown, so that a wrong name costs as long as a wrong password
// and response time does not reveal which accounts exist.
let decoy: Promise<string> | undefined;
/** A valid hash of a random password, made once. */
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString("hex"));
  return decoy;
}
