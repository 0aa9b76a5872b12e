//! What a Lambda function returns, for every trigger: a response or a Cognito-worded error,
//! never a panic.

#![no_main]

use cognate_core::triggers::{Invocation, TriggerKind, TriggerRequest};
use cognate_wire::trigger::parse_response;
use libfuzzer_sys::fuzz_target;

const KINDS: [TriggerKind; 10] = [
    TriggerKind::PreSignUp,
    TriggerKind::PostConfirmation,
    TriggerKind::CustomMessage,
    TriggerKind::PreAuthentication,
    TriggerKind::PostAuthentication,
    TriggerKind::PreTokenGeneration,
    TriggerKind::UserMigration,
    TriggerKind::DefineAuthChallenge,
    TriggerKind::CreateAuthChallenge,
    TriggerKind::VerifyAuthChallengeResponse,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, output)) = data.split_first() else { return };
    // The low seven bits pick the trigger, the high bit the event version (PreTokenGeneration
    // V1 or V2).
    let trigger = KINDS[usize::from(selector & 0x7f) % KINDS.len()];
    let version = if selector & 0x80 == 0 { "1" } else { "2" };
    let inv = Invocation {
        arn: "arn:aws:lambda:us-east-1:123456789012:function:fuzz".into(),
        trigger,
        source: format!("{}_Fuzz", trigger.name()),
        version: version.into(),
        region: "us-east-1".into(),
        pool_id: "us-east-1_fuzz".into(),
        user_name: "fuzzer".into(),
        client_id: Some("fuzzclient".into()),
        request: TriggerRequest::default(),
    };
    if let Err(message) = parse_response(&inv, output) {
        assert!(!message.is_empty());
    }
});
