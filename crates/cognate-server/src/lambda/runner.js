// cognate's local Lambda runner for Node.js handlers: loads the handler module once, then
// answers one JSON request per line on stdin with one JSON line on stdout. console output
// goes to stderr so it cannot corrupt the protocol.
const path = require("path");
const readline = require("readline");
const { pathToFileURL } = require("url");
const { randomUUID } = require("crypto");

const send = process.stdout.write.bind(process.stdout);
const toStderr = (...args) => process.stderr.write(args.map(String).join(" ") + "\n");
console.log = console.info = console.debug = console.warn = toStderr;
process.stdout.write = process.stderr.write.bind(process.stderr);

const [file, exportName, name] = process.argv.slice(-3);
const loading = import(pathToFileURL(path.resolve(file)).href).then((mod) => {
  const handler = mod[exportName] ?? (mod.default && mod.default[exportName]);
  if (typeof handler !== "function") throw new Error(`${file} does not export ${exportName}`);
  return handler;
});

function context(deadline) {
  return {
    functionName: name,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: "128",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: "cognate",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

async function answer(request) {
  let handler;
  try {
    handler = await loading;
  } catch (e) {
    return { error: { errorMessage: `Unable to import module '${file}': ${e.message}`, errorType: "Runtime.ImportModuleError" } };
  }
  const ctx = context(Date.now() + request.timeout_ms);
  try {
    const result = handler.length >= 3
      ? await new Promise((resolve, reject) => handler(request.event, ctx, (err, res) => (err ? reject(err) : resolve(res))))
      : await handler(request.event, ctx);
    return { result: result === undefined ? null : result };
  } catch (e) {
    return { error: { errorMessage: e && e.message !== undefined ? e.message : String(e), errorType: (e && e.name) || "Error" } };
  }
}

let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  queue = queue.then(async () => {
    const out = await answer(JSON.parse(line));
    let text;
    try {
      text = JSON.stringify(out);
    } catch (e) {
      text = JSON.stringify({ invalid: String(e) });
    }
    send(text + "\n");
  });
});
