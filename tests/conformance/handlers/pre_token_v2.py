"""PreTokenGeneration V2: claims (any JSON value) in both tokens and an extra scope."""


def lambda_handler(event, context):
    event['response']['claimsAndScopeOverrideDetails'] = {
        'idTokenGeneration': {
            'claimsToAddOrOverride': {
                'tenant': 'acme',
                'tier': 3,
                'roles': ['admin', 'billing'],
                'sub': 'not-the-real-sub',
            },
            'claimsToSuppress': ['email'],
        },
        'accessTokenGeneration': {
            'claimsToAddOrOverride': {
                'tenant': 'acme',
                'tier': 3,
                'features': {'beta': True, 'quota': 10},
                'token_use': 'id',
            },
            'claimsToSuppress': [],
            'scopesToAdd': ['reports/read'],
            'scopesToSuppress': [],
        },
    }
    return event
