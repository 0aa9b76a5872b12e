#!/usr/bin/env node
// Runs a list of Amplify JS v6 auth calls against a cognate user pool, in one process and one
// Amplify session (one in-memory token store), so a test can drive multi-step flows:
// sign-up → confirm → auto sign-in, sign-in → MFA challenge → confirmSignIn, device remembering.
//
// Input: one JSON object, as the first argument or on stdin:
//   {endpoint, userPoolId, clientId, steps: [{op, ...args, expectError?}], timeoutMs?, trace?}
// Output: exactly one JSON line on stdout, then exit 0:
//   {ok, results: [{op, ok: true, output} | {op, ok: false, error: {name, message}}],
//    requests?: [{target, body, status}]}
// ok is false when a step without expectError threw; the steps after it are not run. With
// trace, requests lists every request Amplify sent (X-Amz-Target, JSON body, HTTP status).
//
// Ops (arguments in parentheses) and what output holds:
//   signUp (username, password, attributes?, autoSignIn?: bool | signIn options) → Amplify's output
//   confirmSignUp (username, code), autoSignIn
//   signIn (username, password?, authFlowType?, preferredChallenge?)  → {isSignedIn, nextStep}
//   confirmSignIn (challengeResponse, friendlyDeviceName?, userAttributes?) → as signIn
//   signOut (global?), fetchAuthSession (forceRefresh?) → {idToken, accessToken, userSub}
//   getCurrentUser, fetchUserAttributes, fetchMFAPreference, fetchDevices
//   setUpTOTP → {sharedSecret, setupUri}; verifyTOTPSetup (code, friendlyDeviceName?)
//   updateMFAPreference (sms?, totp?, email?: ENABLED|DISABLED|PREFERRED|NOT_PREFERRED)
//   rememberDevice, forgetDevice (deviceKey?), deviceMetadata → the device Amplify stored, or null
//   totp (secret | secretFrom: step index, offsetSteps?, wrong?) → {value: a 6-digit code}: the
//     code of the current 30 s step, of the step offsetSteps away (1: the next one, still inside
//     Cognito's one-step window but never a step VerifySoftwareToken just spent), or with
//     wrong: true a code that matches none of the steps now-1 … now+2 (a step may turn meanwhile)
//   waitForFile (path, timeoutMs?) → {value: the file's trimmed content, once it is non-empty}
//   sleep (ms)
// Any argument written {"fromStep": i} is replaced by the value of step i (a totp or waitForFile
// step), so codes the test only learns mid-flow can be fed to later steps. nextStep's
// totpSetupDetails carries setupUri (getSetupUri("cognate")) in place of the function.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const { Amplify } = require("aws-amplify");
const auth = require("aws-amplify/auth");
const { cognitoUserPoolsTokenProvider } = require("aws-amplify/auth/cognito");

const DEFAULT_TIMEOUT_MS = 50000;
const APP_NAME = "cognate";

let finished = false;
function finish(result) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(result) + "\n");
  // Exit explicitly: signUp with autoSignIn leaves a 3-minute timer behind.
  process.exit(0);
}

function errorInfo(err) {
  return {
    name: (err && (err.name || err.code)) || "Error",
    message: (err && err.message) || String(err),
  };
}

// Amplify's own fallback is a module-level in-memory store too; setting ours makes the choice
// explicit and lets the deviceMetadata op read what Amplify remembered.
class MemoryStorage {
  constructor() { this.items = new Map(); }
  async setItem(key, value) { this.items.set(key, value); }
  async getItem(key) { return this.items.has(key) ? this.items.get(key) : null; }
  async removeItem(key) { this.items.delete(key); }
  async clear() { this.items.clear(); }
}

// RFC 6238 with the parameters authenticator apps assume: SHA-1, 6 digits, 30 s steps.
function totpCode(base32Secret, now = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of base32Secret.replace(/=+$/, "").toUpperCase()) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    bits += index.toString(2).padStart(5, "0");
  }
  const key = Buffer.from((bits.match(/.{8}/g) || []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const mac = crypto.createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}

async function waitForFile(path, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const content = fs.readFileSync(path, "utf8").trim();
      if (content) return content;
    } catch (err) {
      if (err.code !== "ENOENT") throw err;
    }
    if (Date.now() >= deadline) throw new Error(`${path} not written within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The function in totpSetupDetails would vanish from JSON; the URI it builds is what a test
// can check.
function plainNextStep(output) {
  const details = output && output.nextStep && output.nextStep.totpSetupDetails;
  if (details && typeof details.getSetupUri === "function") {
    output.nextStep.totpSetupDetails = {
      sharedSecret: details.sharedSecret,
      setupUri: details.getSetupUri(APP_NAME).href,
    };
  }
  return output;
}

function sharedSecretOf(output) {
  return (output && output.sharedSecret)
    || (output && output.nextStep && output.nextStep.totpSetupDetails
        && output.nextStep.totpSetupDetails.sharedSecret);
}

const ops = {
  signUp: (s) => auth.signUp({
    username: s.username,
    password: s.password,
    options: { userAttributes: s.attributes, autoSignIn: s.autoSignIn },
  }),
  confirmSignUp: (s) => auth.confirmSignUp({ username: s.username, confirmationCode: s.code }),
  autoSignIn: async () => plainNextStep(await auth.autoSignIn()),
  signIn: async (s) => plainNextStep(await auth.signIn({
    username: s.username,
    password: s.password,
    options: { authFlowType: s.authFlowType, preferredChallenge: s.preferredChallenge },
  })),
  confirmSignIn: async (s) => plainNextStep(await auth.confirmSignIn({
    challengeResponse: s.challengeResponse,
    options: { friendlyDeviceName: s.friendlyDeviceName, userAttributes: s.userAttributes },
  })),
  signOut: (s) => auth.signOut({ global: !!s.global }),
  fetchAuthSession: async (s) => {
    const { tokens, userSub } = await auth.fetchAuthSession({ forceRefresh: !!s.forceRefresh });
    return {
      idToken: tokens && tokens.idToken ? tokens.idToken.toString() : null,
      accessToken: tokens && tokens.accessToken ? tokens.accessToken.toString() : null,
      userSub: userSub || null,
    };
  },
  getCurrentUser: () => auth.getCurrentUser(),
  fetchUserAttributes: () => auth.fetchUserAttributes(),
  setUpTOTP: async () => {
    const details = await auth.setUpTOTP();
    return { sharedSecret: details.sharedSecret, setupUri: details.getSetupUri(APP_NAME).href };
  },
  verifyTOTPSetup: (s) => auth.verifyTOTPSetup({
    code: s.code, options: { friendlyDeviceName: s.friendlyDeviceName },
  }),
  updateMFAPreference: (s) =>
    auth.updateMFAPreference({ sms: s.sms, totp: s.totp, email: s.email }),
  fetchMFAPreference: () => auth.fetchMFAPreference(),
  rememberDevice: () => auth.rememberDevice(),
  fetchDevices: () => auth.fetchDevices(),
  forgetDevice: (s) =>
    auth.forgetDevice(s.deviceKey ? { device: { id: s.deviceKey } } : undefined),
  deviceMetadata: () => cognitoUserPoolsTokenProvider.tokenOrchestrator.getDeviceMetadata(),
  totp: (s, results) => {
    const secret = s.secretFrom !== undefined
      ? sharedSecretOf(results[s.secretFrom] && results[s.secretFrom].output)
      : s.secret;
    if (!secret) throw new Error(`no sharedSecret in step ${s.secretFrom}`);
    const now = Date.now() + 30000 * (s.offsetSteps || 0);
    if (!s.wrong) return { value: totpCode(secret, now) };
    const window = [-1, 0, 1, 2].map((step) => totpCode(secret, now + 30000 * step));
    let code = Number(window[1]);
    do code = (code + 1) % 1000000; while (window.includes(String(code).padStart(6, "0")));
    return { value: String(code).padStart(6, "0") };
  },
  waitForFile: async (s) => ({ value: await waitForFile(s.path, s.timeoutMs) }),
  sleep: (s) => new Promise((resolve) => setTimeout(() => resolve(null), s.ms)),
};

function resolveArgs(step, results) {
  const resolved = {};
  for (const [key, value] of Object.entries(step)) {
    if (value && typeof value === "object" && Object.keys(value).join() === "fromStep") {
      const source = results[value.fromStep];
      if (!source || !source.ok || !source.output || source.output.value === undefined) {
        throw new Error(`${key}: step ${value.fromStep} has no value`);
      }
      resolved[key] = source.output.value;
    } else {
      resolved[key] = value;
    }
  }
  return resolved;
}

// Wraps fetch (Amplify looks it up on every request) to record what goes to the server.
function traceRequests(requests) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, init = {}) => {
    const headers = init.headers || {};
    const target = headers["x-amz-target"] || headers["X-Amz-Target"] || null;
    let body = init.body;
    try { body = JSON.parse(body); } catch (err) { /* not JSON: keep the text */ }
    const entry = {
      target: target && target.replace(/^AWSCognitoIdentityProviderService\./, ""),
      body,
    };
    requests.push(entry);
    return realFetch(url, init).then((response) => {
      entry.status = response.status;
      return response;
    });
  };
}

async function main() {
  let input;
  try {
    const raw = process.argv[2] !== undefined ? process.argv[2] : fs.readFileSync(0, "utf8");
    input = JSON.parse(raw);
    for (const key of ["endpoint", "userPoolId", "clientId"]) {
      if (typeof input[key] !== "string" || !input[key]) {
        throw new Error(`input member ${key} is missing`);
      }
    }
    if (!Array.isArray(input.steps)) throw new Error("input member steps is missing");
  } catch (err) {
    return finish({ ok: false, results: [], error: errorInfo(err) });
  }

  const results = [];
  const requests = [];
  const output = () => (input.trace ? { results, requests } : { results });
  const timeoutMs = input.timeoutMs || DEFAULT_TIMEOUT_MS;
  setTimeout(() => finish({ ok: false, ...output(), error: { name: "Timeout",
    message: `steps not done within ${timeoutMs} ms` } }), timeoutMs).unref();

  // Node 20 has no navigator; Amplify reads navigator.userAgent for ConfirmDevice's DeviceName
  // and, without it, silently drops NewDeviceMetadata (no ConfirmDevice, no device remembered).
  // Set after the requires so Amplify's SRP BigInteger still takes its non-browser code path.
  if (typeof globalThis.navigator === "undefined") {
    globalThis.navigator = { userAgent: "cognate-conformance amplify_flow.js" };
  }
  if (input.trace) traceRequests(requests);

  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: input.userPoolId,
        userPoolClientId: input.clientId,
        userPoolEndpoint: input.endpoint,
      },
    },
  });
  cognitoUserPoolsTokenProvider.setKeyValueStorage(new MemoryStorage());

  for (const step of input.steps) {
    const op = ops[step.op];
    try {
      if (!op) throw new Error(`unknown op ${JSON.stringify(step.op)}`);
      const value = await op(resolveArgs(step, results), results);
      // Round-trip through JSON: Dates become ISO strings, undefined members disappear.
      const plain = value === undefined ? null : JSON.parse(JSON.stringify(value));
      results.push({ op: step.op, ok: true, output: plain });
    } catch (err) {
      results.push({ op: step.op, ok: false, error: errorInfo(err) });
      if (!step.expectError) return finish({ ok: false, ...output() });
    }
  }
  finish({ ok: true, ...output() });
}

main().catch((err) => finish({ ok: false, results: [], error: errorInfo(err) }));
