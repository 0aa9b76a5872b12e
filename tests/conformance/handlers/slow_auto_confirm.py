"""PreSignUp that hangs (well past any trigger timeout) for emails starting with "slow",
and auto-confirms everyone else."""

import time


def lambda_handler(event, context):
    if event['request']['userAttributes'].get('email', '').startswith('slow'):
        time.sleep(20)
    event['response']['autoConfirmUser'] = True
    return event
