# cognate's local Lambda runner for Python handlers: loads the handler module once, then
# answers one JSON request per line on stdin with one JSON line on the original stdout.
# The handler's own prints go to stderr so they cannot corrupt the protocol.
import importlib.util
import json
import os
import sys
import time
import uuid

protocol = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr

path, export, name = sys.argv[1], sys.argv[2], sys.argv[3]
handler = None
load_error = None
try:
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = getattr(module, export)
except Exception as e:  # reported on every call, as Lambda reports an init error
    load_error = {"errorMessage": "Unable to import module '%s': %s" % (path, e), "errorType": "Runtime.ImportModuleError"}


class Context:
    def __init__(self, deadline):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:" + name
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "cognate"
        self._deadline = deadline

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


for line in sys.stdin:
    request = json.loads(line)
    if load_error is not None:
        answer = {"error": load_error}
    else:
        try:
            result = handler(request["event"], Context(time.time() + request["timeout_ms"] / 1000.0))
            answer = {"result": result}
        except Exception as e:
            answer = {"error": {"errorMessage": str(e), "errorType": type(e).__name__}}
    try:
        text = json.dumps(answer)
    except (TypeError, ValueError) as e:
        text = json.dumps({"invalid": str(e)})
    protocol.write(text + "\n")
    protocol.flush()
