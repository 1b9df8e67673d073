import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  type ClientDuplexStream,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  type ServiceClientConstructor,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

// The reflection proto ships inside @grpc/reflection; find it wherever npm placed the package.
const packageRoot = dirname(
  dirname(dirname(createRequire(import.meta.url).resolve("@grpc/reflection"))),
);
const protoFile = join(packageRoot, "build/proto/grpc/reflection/v1/reflection.proto");

type ListResponse = { listServicesResponse?: { service: { name: string }[] } };

/** Asks a server's reflection service for its services, as `grpcurl list` does. */
export function listServices(address: string): Promise<string[]> {
  const definition = loadPackageDefinition(loadSync(protoFile));
  const reflection = ((definition.grpc as GrpcObject).reflection as GrpcObject).v1 as GrpcObject;
  const ServerReflection = reflection.ServerReflection as ServiceClientConstructor;
  const client = new ServerReflection(address, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const open = client.ServerReflectionInfo as () => ClientDuplexStream<unknown, ListResponse>;
    const call = open.call(client);
    call.on("data", (response: ListResponse) => {
      resolve(response.listServicesResponse?.service.map((s) => s.name) ?? []);
      call.end();
      client.close();
    });
    call.on("error", reject);
    call.write({ listServices: "*" });
  });
}
