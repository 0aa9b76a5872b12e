"""DefineAuthChallenge: one custom challenge per round, up to three attempts.

The classic pattern from AWS's custom-authentication examples:
* no challenge answered yet -> ask a CUSTOM_CHALLENGE (unknown users too, so a caller cannot
  tell whether the user exists);
* an unknown user (request.userNotFound) who answered -> fail;
* the last CUSTOM_CHALLENGE was answered correctly -> issue tokens;
* three wrong answers -> fail;
* otherwise -> another CUSTOM_CHALLENGE.
"""

MAX_ATTEMPTS = 3


def lambda_handler(event, context):
    session = event['request']['session']
    if len(session) == 0:
        event['response']['challengeName'] = 'CUSTOM_CHALLENGE'
        event['response']['issueTokens'] = False
        event['response']['failAuthentication'] = False
    elif event['request'].get('userNotFound'):
        event['response']['issueTokens'] = False
        event['response']['failAuthentication'] = True
    elif (session[-1]['challengeName'] == 'CUSTOM_CHALLENGE'
          and session[-1]['challengeResult'] is True):
        event['response']['issueTokens'] = True
        event['response']['failAuthentication'] = False
    elif len(session) >= MAX_ATTEMPTS:
        event['response']['issueTokens'] = False
        event['response']['failAuthentication'] = True
    else:
        event['response']['challengeName'] = 'CUSTOM_CHALLENGE'
        event['response']['issueTokens'] = False
        event['response']['failAuthentication'] = False
    return event
