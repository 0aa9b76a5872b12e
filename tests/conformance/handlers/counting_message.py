"""CustomMessage that counts its invocations in a module-level variable, so a test can tell
whether the same (warm) worker served two invocations."""

INVOCATIONS = 0


def lambda_handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    print("invocation", INVOCATIONS)
    code = event['request']['codeParameter']
    event['response']['emailSubject'] = "Invocation " + str(INVOCATIONS)
    event['response']['emailMessage'] = (
        "Invocation " + str(INVOCATIONS) + " of this worker. Your code is " + code + ".")
    return event
