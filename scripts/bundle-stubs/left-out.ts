// What @kubernetes/client-node's optional features import becomes in a bundled function:
// exec/attach/port-forward (isomorphic-ws), cp (tar-fs), SOCKS proxies (socks), OIDC and
// cloud auth providers (openid-client, jsonpath-plus). Slipway reaches a cluster with a
// bearer token over HTTPS only, so none of them is ever called; if one were, it fails loudly.
class LeftOut {
  constructor() {
    throw new Error("this Kubernetes client feature is left out of Slipway's function bundles");
  }
}
export default LeftOut;
export const SocksClient = LeftOut;
