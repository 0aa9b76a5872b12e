// PreSignUp: only addresses at example.com may register (and are auto-confirmed).
const ALLOWED_DOMAIN = "example.com";

exports.handler = async (event) => {
    const email = event.request.userAttributes.email || "";
    if (!email.endsWith("@" + ALLOWED_DOMAIN)) {
        throw new Error("Domain not allowed.");
    }
    event.response.autoConfirmUser = true;
    return event;
};
