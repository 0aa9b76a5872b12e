"""PreSignUp: only addresses at example.com may register (and are auto-confirmed)."""

ALLOWED_DOMAIN = "example.com"


def lambda_handler(event, context):
    email = event['request']['userAttributes'].get('email', '')
    if not email.endswith('@' + ALLOWED_DOMAIN):
        raise Exception("Domain not allowed.")
    event['response']['autoConfirmUser'] = True
    return event
