//! A small Markdown renderer for a message's `html`: paragraphs, line breaks, `**bold**`, `*italic*`,
//! `` `code` `` and bare http(s) links. Everything else is escaped text, so a message can never inject markup.

/// Renders message text as HTML the way clients expect (`<p>...</p>\n` per paragraph); empty text gives "".
pub fn render(text: &str) -> String {
    let mut html = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|paragraph| !paragraph.is_empty()) {
        html.push_str("<p>");
        let lines: Vec<String> = paragraph.lines().map(render_inline).collect();
        html.push_str(&lines.join("<br/>\n"));
        html.push_str("</p>\n");
    }
    html
}

fn escape_into(output: &mut String, text: &str) {
    for character in text.chars() {
        match character {
            '&' => output.push_str("&amp;"),
            '<' => output.push_str("&lt;"),
            '>' => output.push_str("&gt;"),
            '"' => output.push_str("&#34;"),
            '\'' => output.push_str("&#39;"),
            other => output.push(other),
        }
    }
}

fn render_inline(line: &str) -> String {
    let mut output = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`') {
            if let Some(end) = after.find('`') {
                output.push_str("<code>");
                escape_into(&mut output, &after[..end]);
                output.push_str("</code>");
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**").filter(|end| *end > 0) {
                output.push_str("<strong>");
                output.push_str(&render_inline(&after[..end]));
                output.push_str("</strong>");
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('*') {
            if let Some(end) = after.find('*').filter(|end| *end > 0) {
                output.push_str("<em>");
                output.push_str(&render_inline(&after[..end]));
                output.push_str("</em>");
                rest = &after[end + 1..];
                continue;
            }
        }
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let url = &rest[..end];
            output.push_str("<a href=\"");
            escape_into(&mut output, url);
            output.push_str("\" rel=\"nofollow\">");
            escape_into(&mut output, url);
            output.push_str("</a>");
            rest = &rest[end..];
            continue;
        }
        let mut characters = rest.chars();
        let character = characters.next().unwrap_or_default();
        escape_into(&mut output, &character.to_string());
        rest = characters.as_str();
    }
    output
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn renders_the_supported_subset() {
        assert_eq!(render(""), "");
        assert_eq!(render("hello"), "<p>hello</p>\n");
        assert_eq!(render("a\nb\n\nc"), "<p>a<br/>\nb</p>\n<p>c</p>\n");
        assert_eq!(
            render("**bold** and *it* `x<y`"),
            "<p><strong>bold</strong> and <em>it</em> <code>x&lt;y</code></p>\n"
        );
        assert_eq!(
            render("see https://example.com/a?b=1 now"),
            "<p>see <a href=\"https://example.com/a?b=1\" rel=\"nofollow\">https://example.com/a?b=1</a> now</p>\n"
        );
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(render("<script>alert('x')</script>"), "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>\n");
        assert_eq!(render("2 * 3 = 6"), "<p>2 * 3 = 6</p>\n");
    }
}
