"""CreateAuthChallenge: AWS's documented "CAPTCHA" example - the question (and a picture URL)
go to the client in publicChallengeParameters, the answer stays in privateChallengeParameters
(only VerifyAuthChallengeResponse sees it). challengeMetadata names the round."""

ANSWER = '5'


def lambda_handler(event, context):
    if event['request']['challengeName'] == 'CUSTOM_CHALLENGE':
        attempt = len(event['request']['session']) + 1
        event['response']['publicChallengeParameters'] = {
            'captchaUrl': 'url/123.jpg',
            'question': 'What is 2 + 3?',
            'attempt': str(attempt),
        }
        event['response']['privateChallengeParameters'] = {'answer': ANSWER}
        event['response']['challengeMetadata'] = 'CAPTCHA-' + str(attempt)
    return event
