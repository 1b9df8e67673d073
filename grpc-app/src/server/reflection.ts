import { fileURLToPath } from "node:url";
import type { Server } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoPath as healthProtoPath } from "grpc-health-check";

/**
 * The contract's source folder. The image keeps the repository layout (grpc-app/ beside
 * proto/), so this relative path holds there too.
 */
export const protoRoot = fileURLToPath(new URL("../../../proto/", import.meta.url));

/**
 * Adds gRPC server reflection, so `grpcurl` can list and call the services without a local
 * copy of the proto. Reflection needs descriptors, which the ts-proto code does not carry, so
 * the same .proto files are loaded here with proto-loader.
 */
export function addReflection(server: Server): void {
  const definition = loadSync(["chat/v1/chat.proto", healthProtoPath], {
    includeDirs: [protoRoot],
  });
  new ReflectionService(definition).addToServer(server);
}
