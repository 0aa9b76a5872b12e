"""VerifyAuthChallengeResponse: the answer must equal privateChallengeParameters.answer (as
CreateAuthChallenge stored it). An unknown user (request.userNotFound) is never right."""


def lambda_handler(event, context):
    expected = event['request']['privateChallengeParameters'].get('answer')
    event['response']['answerCorrect'] = (
        not event['request'].get('userNotFound')
        and event['request']['challengeAnswer'] == expected
    )
    return event
