#!/usr/bin/env node
// Signs in to a cognate user pool with amazon-cognito-identity-js (USER_SRP_AUTH, the
// library's default flow), then verifies the tokens with aws-jwt-verify.
//
// Input: one JSON object, as the first argument or on stdin:
//   {endpoint, poolId, clientId, username, password, newPassword?}
// Output: exactly one JSON line on stdout, then exit 0:
//   {ok: true, newPasswordRequired, userAttributes?, requiredAttributes?, username,
//    idToken, accessToken, refreshToken,
//    verify: {id: {ok, claims | error}, access: {ok, claims | error}}}
//   {ok: false, stage, code, message, ...}
// stage is "signin", "newPassword" or "setup". A NEW_PASSWORD_REQUIRED challenge without a
// newPassword in the input ends with code "NewPasswordRequired".
//
// The verifier is primed with the pool's JWKS from <endpoint>/<poolId>/.well-known/jwks.json
// and only verifySync is used, so it never fetches anything from AWS. CognitoJwtVerifier
// expects iss = https://cognito-idp.<region>.amazonaws.com/<poolId>, so the server under test
// must run with that public URL.
"use strict";

const fs = require("fs");
const {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
} = require("amazon-cognito-identity-js");
const { CognitoJwtVerifier } = require("aws-jwt-verify");

const TIMEOUT_MS = 20000;

let finished = false;
function finish(result) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(0);
}

function failure(stage, err) {
  return {
    ok: false,
    stage,
    code: (err && (err.code || err.name)) || "Error",
    message: (err && err.message) || String(err),
  };
}

function readInput() {
  const raw = process.argv[2] !== undefined ? process.argv[2] : fs.readFileSync(0, "utf8");
  const input = JSON.parse(raw);
  for (const key of ["endpoint", "poolId", "clientId", "username", "password"]) {
    if (typeof input[key] !== "string" || !input[key]) {
      throw new Error(`input member ${key} is missing`);
    }
  }
  return input;
}

function verifyToken(userPoolId, clientId, tokenUse, jwks, token) {
  try {
    const verifier = CognitoJwtVerifier.create({ userPoolId, tokenUse, clientId });
    verifier.cacheJwks(jwks);
    return { ok: true, claims: verifier.verifySync(token) };
  } catch (err) {
    return { ok: false, error: `${err.constructor.name}: ${err.message}` };
  }
}

async function verifySession(input, session) {
  const base = input.endpoint.replace(/\/+$/, "");
  const response = await fetch(`${base}/${input.poolId}/.well-known/jwks.json`);
  if (!response.ok) {
    const error = `JWKS fetch answered HTTP ${response.status}`;
    return { id: { ok: false, error }, access: { ok: false, error } };
  }
  const jwks = await response.json();
  return {
    id: verifyToken(input.poolId, input.clientId, "id", jwks, session.getIdToken().getJwtToken()),
    access: verifyToken(input.poolId, input.clientId, "access", jwks,
                        session.getAccessToken().getJwtToken()),
  };
}

function main() {
  setTimeout(() => finish({ ok: false, stage: "signin", code: "Timeout",
                            message: `no outcome within ${TIMEOUT_MS} ms` }), TIMEOUT_MS).unref();
  let input;
  try {
    input = readInput();
  } catch (err) {
    return finish(failure("setup", err));
  }

  let user;
  try {
    const pool = new CognitoUserPool({
      UserPoolId: input.poolId,
      ClientId: input.clientId,
      endpoint: input.endpoint,
    });
    user = new CognitoUser({ Username: input.username, Pool: pool });
  } catch (err) {
    return finish(failure("setup", err));
  }

  const outcome = { newPasswordRequired: false };
  let stage = "signin";
  const unexpected = (name) =>
    finish({ ok: false, stage, code: "UnexpectedChallenge", message: name });
  const callbacks = {
    onSuccess(session) {
      verifySession(input, session).then(
        (verify) => finish({
          ok: true,
          ...outcome,
          username: user.getUsername(),
          idToken: session.getIdToken().getJwtToken(),
          accessToken: session.getAccessToken().getJwtToken(),
          refreshToken: session.getRefreshToken().getToken(),
          verify,
        }),
        (err) => finish(failure("verify", err)),
      );
    },
    onFailure(err) {
      finish({ ...failure(stage, err), ...outcome });
    },
    newPasswordRequired(userAttributes, requiredAttributes) {
      outcome.newPasswordRequired = true;
      outcome.userAttributes = userAttributes;
      outcome.requiredAttributes = requiredAttributes;
      if (!input.newPassword) {
        return finish({ ok: false, stage, code: "NewPasswordRequired",
                        message: "NEW_PASSWORD_REQUIRED challenge and no newPassword given",
                        ...outcome });
      }
      stage = "newPassword";
      user.completeNewPasswordChallenge(input.newPassword, {}, callbacks);
    },
    mfaRequired: unexpected,
    totpRequired: unexpected,
    selectMFAType: unexpected,
    mfaSetup: unexpected,
    customChallenge: () => unexpected("CUSTOM_CHALLENGE"),
  };
  try {
    user.authenticateUser(
      new AuthenticationDetails({ Username: input.username, Password: input.password }),
      callbacks,
    );
  } catch (err) {
    finish(failure(stage, err));
  }
}

main();
