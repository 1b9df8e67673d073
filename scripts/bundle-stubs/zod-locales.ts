// What zod's `locales` namespace becomes in a bundled function: nothing. zod configures its
// English messages from `locales/en.js` directly, and Slipway shows no other language, so
// the 40-odd translations (258 KiB, a quarter of the webhook's bundle) never load.
export {};
