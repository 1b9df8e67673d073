import { createTokenBuckets } from "./token-buckets.ts";

/** How many logins are allowed per window, by what they are counted against. */
export type LoginLimitSettings = {
  windowMs: number;
  /** Wrong passwords for one username from one address: a single-source guesser. */
  failuresPerUserAddress: number;
  /**
   * Wrong passwords for one username from anywhere: a spread guesser. Higher than the above,
   * so that one address guessing cannot lock the owner out from theirs.
   */
  failuresPerUser: number;
  /** Every login for one username, right or wrong: the scrypt work one account can cost. */
  attemptsPerUser: number;
  /** Every login from one address, for any username: credential stuffing from one place. */
  attemptsPerAddress: number;
};

/** Which limit refused a login. */
export type LoginLimit = "user-address-failures" | "user-failures" | "user-attempts" | "address";

export type LoginAdmission =
  | { kind: "admitted" }
  | { kind: "limited"; limit: LoginLimit; retryAfterMs: number };

/** How an admitted login ended. */
export type LoginResult = "failed" | "succeeded" | "unchecked";

/** The login limits of one replica; state is in memory, so each replica counts on its own. */
export type LoginLimits = {
  /**
   * Whether a login may be checked now. An admitted one counts as an attempt and, until
   * `settle` says otherwise, as a failure: concurrent guesses cannot all pass before the
   * first of them has failed.
   */
  admit(username: string, address: string): LoginAdmission;
  /**
   * Settles an admitted login: a success forgets this address's failures for the user (who
   * evidently knows the password) and gives back its failure; an unchecked one (no hashing
   * slot, the store down) gives its failure back.
   */
  settle(username: string, address: string, result: LoginResult): void;
};

/** Token buckets per limit; a refused login spends nothing, so refusals cost no scrypt. */
export function createLoginLimits(settings: LoginLimitSettings, now: () => number): LoginLimits {
  const buckets = (capacity: number) =>
    createTokenBuckets({ capacity, refillMs: settings.windowMs, now });
  const limits = {
    "user-address-failures": buckets(settings.failuresPerUserAddress),
    "user-failures": buckets(settings.failuresPerUser),
    "user-attempts": buckets(settings.attemptsPerUser),
    address: buckets(settings.attemptsPerAddress),
  } as const;
  const pair = (username: string, address: string) => JSON.stringify([username, address]);
  const keys = (username: string, address: string): Record<LoginLimit, string> => ({
    "user-address-failures": pair(username, address),
    "user-failures": username,
    "user-attempts": username,
    address,
  });

  return {
    admit(username, address) {
      const key = keys(username, address);
      let refused: { limit: LoginLimit; retryAfterMs: number } | undefined;
      for (const limit of Object.keys(limits) as LoginLimit[]) {
        const retryAfterMs = limits[limit].wait(key[limit]);
        // The longest wait, so a client that honours it is not refused again at once.
        if (retryAfterMs > (refused?.retryAfterMs ?? 0)) refused = { limit, retryAfterMs };
      }
      if (refused !== undefined) return { kind: "limited", ...refused };
      for (const limit of Object.keys(limits) as LoginLimit[]) limits[limit].take(key[limit]);
      return { kind: "admitted" };
    },
    settle(username, address, result) {
      if (result === "failed") return;
      const key = keys(username, address);
      if (result === "succeeded")
        limits["user-address-failures"].reset(key["user-address-failures"]);
      else limits["user-address-failures"].refund(key["user-address-failures"]);
      limits["user-failures"].refund(key["user-failures"]);
    },
  };
}
