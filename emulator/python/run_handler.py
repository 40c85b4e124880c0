# Runs one Lambda handler file the way the Python Lambda runtime calls it: lambda_handler(event, context).
# argv: HANDLER_FILE RESULT_FILE. The event is JSON on stdin; the result (or Lambda's error payload
# {"errorType","errorMessage","stackTrace"}) is written as JSON to RESULT_FILE. Exit code 0 = returned, 1 = raised.
import importlib.util
import json
import resource
import sys
import traceback


class Context:
    def __init__(self, request_id, function_name, memory_mb):
        self.aws_request_id = request_id
        self.function_name = function_name
        self.memory_limit_in_mb = memory_mb
        self.function_version = '$LATEST'


def main():
    handler_file, result_file = sys.argv[1], sys.argv[2]
    request = json.loads(sys.stdin.read())
    code = 0
    try:
        spec = importlib.util.spec_from_file_location('lambda_function', handler_file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        ctx = Context(request['requestId'], request['functionName'], request['memoryMb'])
        out = {'ok': True, 'result': module.lambda_handler(request['event'], ctx)}
    except BaseException as e:  # the runtime reports every exception as the invocation's error
        code = 1
        out = {'ok': False, 'errorType': type(e).__name__, 'errorMessage': str(e),
               'stackTrace': traceback.format_exception(type(e), e, e.__traceback__)}
    out['maxRssKb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(result_file, 'w') as f:
        json.dump(out, f)
    sys.exit(code)


main()
