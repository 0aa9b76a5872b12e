"""UserMigration: lets users of a legacy directory sign in and moves them into the pool.

The "legacy directory" here: every username starting with "legacy-" exists there, with the
password LEGACY_PASSWORD and the email <username>@legacy.example.com.
"""

LEGACY_PASSWORD = "Legacy-Passw0rd!"


def authenticate_legacy_user(username, password):
    if not username.startswith("legacy-") or password != LEGACY_PASSWORD:
        return None
    return {"email": username + "@legacy.example.com", "name": "Legacy " + username}


def lambda_handler(event, context):
    if event['triggerSource'] == 'UserMigration_Authentication':
        user = authenticate_legacy_user(event['userName'], event['request']['password'])
        if user is None:
            raise Exception("Bad password")
        event['response']['userAttributes'] = {
            'email': user['email'],
            'email_verified': 'true',
            'name': user['name'],
        }
        event['response']['finalUserStatus'] = 'CONFIRMED'
        event['response']['messageAction'] = 'SUPPRESS'
    elif event['triggerSource'] == 'UserMigration_ForgotPassword':
        username = event['userName']
        if not username.startswith("legacy-"):
            raise Exception("Unknown user")
        event['response']['userAttributes'] = {
            'email': username + "@legacy.example.com",
            'email_verified': 'true',
        }
        event['response']['messageAction'] = 'SUPPRESS'
    return event
