//! The pages' HTML: one layout, escaped text, no script and no external asset.

use std::fmt::Write;

/// Text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A client's branding on its pages: its stylesheet and logo, served by cognate.
#[derive(Debug, Clone, Default)]
pub struct Look {
    pub stylesheet: Option<String>,
    pub logo: Option<String>,
}

/// A whole page: `body` is already HTML.
pub fn layout(title: &str, body: &str, look: &Look) -> String {
    let title = escape(title);
    let custom = look
        .stylesheet
        .as_deref()
        .map(|href| format!("<link rel=\"stylesheet\" href=\"{}\">\n", escape(href)))
        .unwrap_or_default();
    let banner = look
        .logo
        .as_deref()
        .map(|src| {
            format!(
                "<div class=\"banner-customizable\"><img class=\"logo-customizable\" src=\"{}\" alt=\"\"></div>\n",
                escape(src)
            )
        })
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"/static/hosted.css\">\n{custom}</head>\n\
         <body class=\"background-customizable\">\n<main class=\"card\">\n{banner}<h1>{title}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )
}

/// An error for the person at the form, announced by screen readers as it appears.
pub fn alert(message: Option<&str>) -> String {
    match message {
        Some(m) => {
            format!("<p class=\"error errorMessage-customizable\" role=\"alert\" id=\"form-error\">{}</p>\n", escape(m))
        }
        None => String::new(),
    }
}

/// A labelled input. `described` ties it to the form's error message.
pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub autocomplete: &'a str,
    pub autofocus: bool,
    pub invalid: bool,
}

impl Field<'_> {
    pub fn render(&self, out: &mut String) {
        let id = format!("field-{}", self.name);
        let _ = write!(
            out,
            "<label class=\"label-customizable\" for=\"{id}\">{label}</label>\n<input class=\"inputField-customizable\" \
             id=\"{id}\" name=\"{name}\" type=\"{kind}\" value=\"{value}\" autocomplete=\"{auto}\" required{focus}{invalid}>\n",
            label = escape(self.label),
            name = escape(self.name),
            kind = self.kind,
            value = escape(self.value),
            auto = self.autocomplete,
            focus = if self.autofocus { " autofocus" } else { "" },
            invalid = if self.invalid { " aria-invalid=\"true\" aria-describedby=\"form-error\"" } else { "" },
        );
    }
}

/// The stylesheet every page links (served at `/static/hosted.css`).
pub const STYLESHEET: &str = "\
:root { color-scheme: light dark; --accent: #0b5cad; }
body { font-family: system-ui, sans-serif; margin: 0; background: #f2f3f3; color: #16191f; }
.card { max-width: 24rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px;
  box-shadow: 0 1px 4px rgba(0, 0, 0, .2); }
h1 { font-size: 1.4rem; margin-top: 0; }
label { display: block; margin: 1rem 0 .3rem; font-weight: 600; }
input { box-sizing: border-box; width: 100%; padding: .6rem; font-size: 1rem; border: 1px solid #687078;
  border-radius: 4px; }
input:focus, button:focus, a:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
button { margin-top: 1.5rem; width: 100%; padding: .7rem; font-size: 1rem; font-weight: 600; color: #fff;
  background: var(--accent); border: 0; border-radius: 4px; cursor: pointer; }
.error { color: #a4121a; background: #fdecea; padding: .6rem; border-radius: 4px; }
.links { margin-top: 1.5rem; font-size: .95rem; }
.links a { color: var(--accent); }
.links ul { list-style: none; padding: 0; }
.notice { background: #e8f2fb; padding: .6rem; border-radius: 4px; }
.banner-customizable { text-align: center; margin-bottom: 1rem; }
.logo-customizable { max-width: 100%; max-height: 4rem; }
@media (prefers-color-scheme: dark) {
  body { background: #0f1b2a; color: #f2f3f3; }
  .card { background: #16191f; }
  .links a { color: #89bdee; }
  .error { color: #ffb3b0; background: #3b1214; }
}
";
