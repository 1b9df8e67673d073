import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { RefusedError, TransientError } from "@slipway/core";

/**
 * Reads a Secrets Manager secret whose value is a JSON object of strings, the shape infra
 * writes. Throttling, 5xx and network failures are transient; anything else is refused,
 * and no error carries the value.
 */
export function createSecretValues(client: SecretsManagerClient) {
  return {
    async read(secretId: string): Promise<Record<string, string>> {
      let text: string | undefined;
      try {
        ({ SecretString: text } = await client.send(
          new GetSecretValueCommand({ SecretId: secretId }),
        ));
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
          ?.httpStatusCode;
        if (status === undefined || status === 429 || status >= 500) {
          throw new TransientError(`read secret ${secretId}`, { cause: error });
        }
        throw new RefusedError(`read secret ${secretId}`, status, { cause: error });
      }
      const value: unknown = text === undefined ? undefined : safeJson(text);
      if (!isStringRecord(value)) {
        throw new RefusedError(`read secret ${secretId}: not a JSON object of strings`, 422);
      }
      return value;
    },
  };
}

export type SecretValues = ReturnType<typeof createSecretValues>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}
