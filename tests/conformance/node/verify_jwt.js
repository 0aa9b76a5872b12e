#!/usr/bin/env node
// Verifies an ID token and an access token with aws-jwt-verify's generic JwtVerifier, which
// fetches the JWKS from <issuer>/.well-known/jwks.json itself (Node's https module: https
// URLs only, trusting NODE_EXTRA_CA_CERTS on top of the bundled roots).
//
// Input: one JSON object, as the first argument or on stdin:
//   {issuer, clientId, idToken, accessToken}
// Output: exactly one JSON line on stdout, then exit 0:
//   {id: {ok, claims | error}, access: {ok, claims | error}}
"use strict";

const fs = require("fs");
const { JwtVerifier } = require("aws-jwt-verify");

async function verify(verifier, token) {
  try {
    return { ok: true, claims: await verifier.verify(token) };
  } catch (err) {
    return { ok: false, error: `${err.constructor.name}: ${err.message}` };
  }
}

async function main() {
  const raw = process.argv[2] !== undefined ? process.argv[2] : fs.readFileSync(0, "utf8");
  const input = JSON.parse(raw);
  const tokenUse = (use) => (payload) => {
    if (payload.token_use !== use) throw new Error(`token_use is ${payload.token_use}, not ${use}`);
  };
  // Separate verifiers (and so separate JWKS caches): each token makes its own fetch.
  const idVerifier = JwtVerifier.create({
    issuer: input.issuer,
    audience: input.clientId,
    customJwtCheck: ({ payload }) => tokenUse("id")(payload),
  });
  const accessVerifier = JwtVerifier.create({
    issuer: input.issuer,
    audience: null, // access tokens carry client_id, not aud
    customJwtCheck: ({ payload }) => {
      tokenUse("access")(payload);
      if (payload.client_id !== input.clientId) throw new Error(`client_id is ${payload.client_id}`);
    },
  });
  const result = {
    id: await verify(idVerifier, input.idToken),
    access: await verify(accessVerifier, input.accessToken),
  };
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
