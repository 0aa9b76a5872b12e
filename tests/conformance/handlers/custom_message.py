"""CustomMessage: branded sign-up and resend emails (the code goes where codeParameter is)."""


def lambda_handler(event, context):
    code = event['request']['codeParameter']
    if event['triggerSource'] == 'CustomMessage_SignUp':
        event['response']['emailSubject'] = "Welcome to the service"
        event['response']['emailMessage'] = (
            "Thank you for signing up. " + code + " is your verification code.")
        event['response']['smsMessage'] = "Welcome! Your code is " + code
    elif event['triggerSource'] == 'CustomMessage_ResendCode':
        event['response']['emailSubject'] = "Your new code"
        event['response']['emailMessage'] = "Here is a fresh code: " + code + " (resent)."
        event['response']['smsMessage'] = "Your new code is " + code
    return event
