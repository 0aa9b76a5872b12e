"""The seed's auto-confirm handler with the logging people leave in: it prints to stdout
(including the event as JSON and a line that looks like a protocol frame) and to stderr."""

import json
import sys


def lambda_handler(event, context):
    print("Received event:", json.dumps(event))
    print(json.dumps(event))
    print('{"response": {"autoConfirmUser": false}}')
    print("no newline at the end", end="")
    sys.stdout.flush()
    print("a line on stderr", file=sys.stderr)
    event['response']['autoConfirmUser'] = True
    if 'email' in event['request']['userAttributes']:
        event['response']['autoVerifyEmail'] = True
    print("Returning:", event)
    return event
